"""core.tabular: control characters are refused cell by cell (XML keeps them out of XLSX)."""

import pytest

from core.tabular import TableInvalid, read_csv, read_table


def test_csv_cell_with_nul_is_a_problem_and_its_row_is_dropped():
    table = read_csv("assets.csv", b"asset_id,title\nA1,ok\nA2,bad\x00title\nA3,tab\there\n")
    assert [line for line, _ in table.rows] == [2, 4]
    assert table.rows[1][1]["title"] == "tab\there"
    assert [str(p) for p in table.problems] == [
        "assets.csv:3: title: contains a control character (U+0000); remove it"]


def test_an_upload_with_nul_in_its_first_bytes_is_not_taken_for_text():
    with pytest.raises(TableInvalid) as caught:
        read_table("assets.csv", b"asset_id,title\nA2,bad\x00title\n")
    assert [str(p) for p in caught.value.problems] == [
        "assets.csv:1: file: neither a UTF-8 CSV file nor an XLSX workbook"]
