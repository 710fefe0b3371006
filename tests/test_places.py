"""The gazetteer finds the grid a message is about, and the building and unit."""

from __future__ import annotations

import pytest

from nlp.places import Address, Gazetteer, GazetteerError, Place, parse_address

PLACES = [
    Place("电影制片厂小区", "xingan-1", aliases=("电影厂小区", "电影厂家属院")),
    Place("审计厅小区", "xingan-2"),
    Place("华建小区", "xingan-3"),
    Place("林业厅小区", "xingan-4"),
    Place("学府花园", "huifeng-2", aliases=("学府花园小区",)),
    Place("印象江南一期", "guanyin-1", aliases=("印象江南",)),
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    """The gazetteer of a few real Hohhot 小区."""
    return Gazetteer(PLACES)


@pytest.mark.parametrize(
    ("text", "grid", "written", "building", "unit"),
    [
        ("审计厅小区3号楼2单元下水堵了", "xingan-2", "审计厅小区", "3", "2"),
        ("审计厅3#楼又停水了", "xingan-2", "审计厅", "3", None),  # suffix dropped, 3# form
        ("电影厂小区五号楼门口路灯不亮", "xingan-1", "电影厂小区", "5", None),  # alias
        ("电影制片厂那边的树碰着电线了", "xingan-1", "电影制片厂", None, None),
        ("我是华建的，十二栋三单元暖气不热", "xingan-3", "华建", "12", "3"),
        ("林业厅小区 3-2-502 漏水", "xingan-4", "林业厅小区", "3", "2"),
        ("学府花园小区停水好几天了", "huifeng-2", "学府花园小区", None, None),  # longest wins
        ("印象江南一期门口路坑坑洼洼", "guanyin-1", "印象江南一期", None, None),
        ("３号楼停电，审计厅小区的", "xingan-2", "审计厅小区", "3", None),  # building before place
        ("ＨＩ，审计厅小区", "xingan-2", "审计厅小区", None, None),  # full-width greeting first
        # traditional characters name the same place (the name is given as normalised)
        ("審計廳小區3號樓停水了", "xingan-2", "审计厅小区", "3", None),
    ],
)
def test_find(
    gazetteer: Gazetteer, text: str, grid: str, written: str, building: str | None, unit: str | None
) -> None:
    """The place named in the message decides the grid; building and unit come with it."""
    found = gazetteer.find(text)
    assert found is not None
    assert (found.place.grid_id, found.written) == (grid, written)
    assert found.address == Address(building, unit)


@pytest.mark.parametrize("text", ["3号楼又停水了", "", "😡", "学府路上有个坑", "我家住3楼"])
def test_no_place(gazetteer: Gazetteer, text: str) -> None:
    """Without a configured place name there is no match (routing falls back to the binding)."""
    assert gazetteer.find(text) is None


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("3号楼2单元502", Address("3", "2")),
        ("三号楼", Address("3", None)),
        ("二十一栋", Address("21", None)),
        ("两单元", Address(None, "2")),
        ("5幢1单元", Address("5", "1")),
        ("我家住3楼", Address()),  # a floor, not a building
        ("3月5号停水", Address()),
        ("2单元在3号楼", Address("3", None)),  # the unit is read after the building
    ],
)
def test_parse_address(text: str, address: Address) -> None:
    """Buildings and units in the ways residents write them."""
    assert parse_address(text) == address


def test_a_name_claimed_by_two_grids_is_refused() -> None:
    """The same explicit name in two grids is a configuration mistake."""
    with pytest.raises(GazetteerError, match="'华建小区' is claimed by grids 'a' and 'b'"):
        Gazetteer([Place("华建小区", "a"), Place("华建小区", "b")])


def test_shortened_name_shared_by_two_grids_is_not_used() -> None:
    """恒大小区 and 恒大社区 in two grids: "恒大" alone is ambiguous; full names still work."""
    gazetteer = Gazetteer(
        [Place("恒大小区", "a"), Place("恒大社区", "b"), Place("恒大家属院", "c")]
    )
    assert gazetteer.find("恒大停水了") is None
    found = gazetteer.find("恒大社区停水了")
    assert found is not None
    assert found.place.grid_id == "b"


def test_empty_name_is_refused() -> None:
    """An empty place name would match everywhere."""
    with pytest.raises(GazetteerError, match="grid 'x': a place name is empty"):
        Gazetteer([Place("  ", "x")])


def test_empty_gazetteer_finds_nothing() -> None:
    """A deployment without places configured yet still answers."""
    assert Gazetteer([]).find("审计厅小区") is None
