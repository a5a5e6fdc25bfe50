import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from smileback.common.errors import ConfigError
from smileback.ingest.webhook.signature import (
    SeenMessages,
    SignatureError,
    WebhookKey,
    verify,
)

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
KEY = WebhookKey.parse(SECRET)
NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
BODY = b'{"id": "m1", "text": "hello"}'


def headers(*, msg_id="msg_1", at=NOW, body=BODY, secret=SECRET) -> dict[str, str]:
    # Signed by the standardwebhooks package: what real senders use.
    signature = Webhook(secret).sign(msg_id, at, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def test_a_message_signed_by_standardwebhooks_verifies():
    assert verify(key=KEY, headers=headers(), body=BODY, now=NOW) == (
        "msg_1",
        int(NOW.timestamp()),
    )


def test_our_signature_is_the_one_standardwebhooks_makes():
    ours = KEY.sign(msg_id="msg_1", timestamp=int(NOW.timestamp()), body=BODY)
    assert ours == headers()["webhook-signature"]


def test_any_of_several_signatures_may_match_as_during_a_secret_rotation():
    other = "whsec_" + base64.b64encode(b"another secret of 32 bytes......").decode()
    given = headers()
    given["webhook-signature"] = (
        headers(secret=other)["webhook-signature"] + " " + given["webhook-signature"]
    )
    assert verify(key=KEY, headers=given, body=BODY, now=NOW)[0] == "msg_1"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-signature": "v1,AAAA"}, "no webhook-signature matches"),
        ({"webhook-id": "msg_2"}, "no webhook-signature matches"),
        ({"webhook-signature": ""}, "missing webhook-id, webhook-timestamp or webhook-signature"),
        ({"webhook-id": ""}, "missing"),
        ({"webhook-timestamp": "soon"}, "not whole seconds since the epoch"),
    ],
)
def test_wrong_or_missing_headers_are_refused(change, reason):
    with pytest.raises(SignatureError, match=reason):
        verify(key=KEY, headers={**headers(), **change}, body=BODY, now=NOW)


def test_a_changed_body_is_refused():
    with pytest.raises(SignatureError, match="no webhook-signature matches"):
        verify(key=KEY, headers=headers(), body=BODY + b" ", now=NOW)


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)]
)
def test_a_timestamp_over_five_minutes_from_now_is_refused(skew):
    with pytest.raises(SignatureError, match="more than 5 minutes from now"):
        verify(key=KEY, headers=headers(at=NOW + skew), body=BODY, now=NOW)


def test_a_timestamp_within_five_minutes_is_accepted():
    at = NOW - timedelta(minutes=4, seconds=59)
    assert verify(key=KEY, headers=headers(at=at), body=BODY, now=NOW)


@pytest.mark.parametrize(
    "secret", ["whsec_@@@@", "whsec_!!!x", "whsec_" + base64.b64encode(b"short").decode()]
)
def test_a_malformed_or_short_secret_is_a_config_error_that_does_not_repeat_it(secret):
    with pytest.raises(ConfigError) as caught:
        WebhookKey.parse(secret)
    assert "SMILEBACK_INGEST_WEBHOOK_SECRET" in str(caught.value)
    assert secret.removeprefix("whsec_") not in str(caught.value).split(": ", 1)[1]


def test_the_key_never_shows_in_a_repr():
    assert "0123" not in repr(KEY)
    assert repr(KEY) == "WebhookKey(**********)"


def test_a_claimed_id_is_refused_until_released_or_out_of_the_window():
    seen = SeenMessages()
    stamp = int(NOW.timestamp())
    assert seen.claim("a", timestamp=stamp, now=NOW) is True
    assert seen.claim("a", timestamp=stamp, now=NOW) is False
    seen.release("a")
    assert seen.claim("a", timestamp=stamp, now=NOW) is True
    later = NOW + timedelta(minutes=5, seconds=1)
    assert seen.claim("b", timestamp=int(later.timestamp()), now=later) is True
    assert len(seen) == 1  # "a" is past the window: its timestamp alone refuses it now


def test_memory_is_bounded():
    seen = SeenMessages(capacity=3)
    stamp = int(NOW.timestamp())
    for msg_id in "abcd":
        seen.claim(msg_id, timestamp=stamp, now=NOW)
    assert len(seen) == 3
    assert seen.claim("a", timestamp=stamp, now=NOW) is True  # the oldest was forgotten
