import io

from smileback.common.mention_lines import MentionLines


def test_good_lines_become_mentions_and_bad_ones_are_reported_by_number() -> None:
    err = io.StringIO()
    reader = MentionLines(err=err)
    lines = [
        b'{"id": "m1", "text": "hi"}\r\n',
        b"\n",
        b"   \n",
        b'{"id": 2}\n',
        b'{"id": "m3", "text": "yo"}',
    ]
    mentions = list(reader.read(lines))
    assert [m.id for m in mentions] == ["m1", "m3"]
    assert reader.bad == 1
    assert err.getvalue().startswith("line 4: id: Input should be a valid string")
    assert err.getvalue().count("\n") == 1
