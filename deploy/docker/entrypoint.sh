#!/bin/sh
# The image's entrypoint: secrets from files into the environment, then `smileback "$@"`.
#
# docker compose (and Swarm) hand secrets over as files in /run/secrets; the services read
# their settings from the environment. Each non-empty file named SMILEBACK_<SETTING> becomes
# that variable, for the service process only (`docker inspect` shows no secret). An empty
# file, which is what an unset variable behind a compose secret gives, is skipped: that
# setting stays unset rather than set to "" (an empty PagerDuty key would turn PagerDuty on).
set -eu
dir="${SECRETS_DIR:-/run/secrets}"
for file in "$dir"/SMILEBACK_*; do
  [ -f "$file" ] && [ -s "$file" ] || continue
  name="${file##*/}"
  case "$name" in
    *[!A-Z0-9_]*) echo "smileback-entrypoint: skipping $file: not a variable name" >&2; continue ;;
  esac
  # $(...) drops trailing newlines, as `echo secret > file` leaves one.
  value="$(cat "$file")"
  export "$name=$value"
done
exec smileback "$@"
