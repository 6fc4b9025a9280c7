"""Countries arrive as codes, English names, aliases or the data sheet's Chinese names."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from allocation.domain.countries import country_name, normalize_country
from allocation.domain.rulebook import default_rulebook, load_rulebook
from allocation.errors import InputError, UnknownCountryError
from tests.allocation import rules_md

pytestmark = pytest.mark.fast

PACKAGED = resources.files("allocation.domain").joinpath("priority_services.yaml")


@pytest.mark.parametrize("code", rules_md.COVERED)
def test_every_covered_alpha_2_code_is_kept(code: str) -> None:
    assert normalize_country(code) == code


@pytest.mark.parametrize(
    ("alpha_3", "alpha_2"),
    [
        ("URY", "UY"),
        ("DOM", "DO"),
        ("ECU", "EC"),
        ("DEU", "DE"),
        ("GBR", "GB"),
        ("USA", "US"),
        ("BRA", "BR"),
        ("JPN", "JP"),
        ("CHE", "CH"),
        ("NOR", "NO"),
        ("VNM", "VN"),
    ],
)
def test_an_alpha_3_code_becomes_alpha_2(alpha_3: str, alpha_2: str) -> None:
    assert normalize_country(alpha_3) == alpha_2


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Uruguay", "UY"),
        ("Dominican Republic", "DO"),
        ("Germany", "DE"),
        ("United Kingdom", "GB"),
        ("United States", "US"),
        ("Switzerland", "CH"),
        ("South Africa", "ZA"),
        ("Saudi Arabia", "SA"),
        ("United Arab Emirates", "AE"),
        ("Czechia", "CZ"),
        ("Netherlands", "NL"),
        ("Nigeria", "NG"),
        ("Norway", "NO"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("Hong Kong", "HK"),
        ("Taiwan", "TW"),
        ("Côte d'Ivoire", "CI"),
    ],
)
def test_an_english_name_becomes_its_code(name: str, code: str) -> None:
    assert normalize_country(name) == code


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Turkey", "TR"),
        ("Russia", "RU"),
        ("Holland", "NL"),
        ("UAE", "AE"),
        ("Korea", "KR"),
        ("Czech", "CZ"),
        ("America", "US"),
        ("Hongkong", "HK"),
        ("Ivory Coast", "CI"),
        ("多米尼加", "DO"),
        ("中国香港", "HK"),
        ("中国台湾", "TW"),
        ("阿联酋", "AE"),
    ],
)
def test_a_name_planners_type_becomes_its_code(alias: str, code: str) -> None:
    assert normalize_country(alias) == code


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("uy", "UY"),
        ("Uy", "UY"),
        ("ury", "UY"),
        ("URUGUAY", "UY"),
        ("uRuGuAy", "UY"),
        ("uk", "GB"),
        ("TURKEY", "TR"),
        ("dominican republic", "DO"),
        ("  Uruguay  ", "UY"),
        ("\tno\n", "NO"),
        ("cote d'ivoire", "CI"),
    ],
)
def test_codes_names_and_aliases_match_whatever_the_case_and_surrounding_space(
    typed: str, code: str
) -> None:
    assert normalize_country(typed) == code


@pytest.mark.parametrize(("code", "name"), sorted(default_rulebook().chinese_names.items()))
def test_every_chinese_name_of_the_rulebook_becomes_its_code(code: str, name: str) -> None:
    assert normalize_country(name) == code


@pytest.mark.parametrize(("code", "name"), sorted(rules_md.CHINESE_NAMES.items()))
def test_every_chinese_name_of_the_data_sheet_becomes_its_code(code: str, name: str) -> None:
    assert normalize_country(name) == code


@pytest.mark.parametrize("spelling", rules_md.DOMINICAN_SPELLINGS)
def test_both_chinese_spellings_of_the_dominican_republic_are_do(spelling: str) -> None:
    assert normalize_country(spelling) == "DO"


def test_dominica_is_not_the_dominican_republic() -> None:
    assert normalize_country("Dominica") == "DM"


@pytest.mark.parametrize("value", ["Atlantis", "XX", "ZZZ", "Texas", "Bavaria", "Narnia", "Brit"])
def test_an_unknown_country_is_refused_naming_the_value(value: str) -> None:
    with pytest.raises(UnknownCountryError) as caught:
        normalize_country(value)
    assert repr(value) in str(caught.value)
    assert caught.value.value == value


@pytest.mark.parametrize("value", ["", "   "])
def test_a_blank_country_is_refused(value: str) -> None:
    with pytest.raises(UnknownCountryError):
        normalize_country(value)


@pytest.mark.parametrize("value", [None, 12, 3.5, b"US", ["UY"], True])
def test_a_value_that_is_not_text_is_refused_naming_it(value: object) -> None:
    with pytest.raises(UnknownCountryError) as caught:
        normalize_country(value)
    assert repr(value) in str(caught.value)


def test_an_unknown_country_is_an_input_error_so_the_cli_exits_2() -> None:
    assert issubclass(UnknownCountryError, InputError)


def test_aliases_are_data_a_rules_file_can_add_one(tmp_path: Path) -> None:
    text = PACKAGED.read_text(encoding="utf-8")
    assert text.count("  UK: GB\n") == 1
    text = text.replace("  UK: GB\n", "  UK: GB\n  Blighty: GB\n")
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    book = load_rulebook(path)
    assert normalize_country("blighty", book) == "GB"
    with pytest.raises(UnknownCountryError):
        normalize_country("Blighty")  # not in the packaged rules


@pytest.mark.parametrize(
    ("code", "name"),
    [*rules_md.EXCLUDED.items(), ("US", "United States"), ("VN", "Vietnam")],
)
def test_a_code_reads_as_its_english_name_in_messages(code: str, name: str) -> None:
    assert country_name(code) == name


def test_a_code_without_a_name_reads_as_itself() -> None:
    assert country_name("XX") == "XX"
