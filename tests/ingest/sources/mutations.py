"""Every place in a JSON payload, and the payload with one place changed: for checking that
a mapper answers any malformed event without raising."""

import copy

# Wrong types and out-of-range values a misbehaving server could put anywhere.
WRONG_VALUES = [None, True, -1, 10**30, 1.5, "", "x" * 20_000, [], [None], {}, {"$type": None}]


def every_path(value, prefix=()):
    """Every path into a JSON value, the empty path (the value itself) first."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from every_path(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from every_path(inner, (*prefix, index))


def replaced(value, path, new):
    """A copy of `value` with `new` at `path`."""
    if not path:
        return new
    value = copy.deepcopy(value)
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return value
