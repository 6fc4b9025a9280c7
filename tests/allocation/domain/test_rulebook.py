"""The packaged rulebook says what docs/explanation/rules.md says, and a malformed rules file is
refused."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from allocation.domain.model import ProductFamily, Tier
from allocation.domain.rulebook import default_rulebook, load_rulebook
from allocation.errors import InputError, RulebookError
from tests.allocation import rules_md

pytestmark = pytest.mark.fast

PACKAGED = resources.files("allocation.domain").joinpath("priority_services.yaml")


def packaged_text() -> str:
    return PACKAGED.read_text(encoding="utf-8")


def write_edited(tmp_path: Path, old: str, new: str) -> Path:
    """The packaged rules file with one exact edit (which must apply exactly once)."""
    text = packaged_text()
    assert text.count(old) == 1, f"the edit {old!r} does not match the packaged file once"
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# --- SKUs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "tier", "term_years", "family"), rules_md.SKUS, ids=[s[0] for s in rules_md.SKUS]
)
def test_each_sku_sells_the_tier_term_and_family_of_the_data_sheet(
    code: str, tier: Tier, term_years: int, family: ProductFamily
) -> None:
    sku = default_rulebook().skus[code]
    assert (sku.code, sku.tier, sku.term_years, sku.family) == (code, tier, term_years, family)


def test_the_rulebook_sells_exactly_the_24_skus_of_the_data_sheet() -> None:
    assert sorted(default_rulebook().skus) == sorted(code for code, *_ in rules_md.SKUS)
    assert len(default_rulebook().skus) == 24


def test_every_tier_and_family_is_sold_for_each_of_the_four_terms() -> None:
    sold = {(s.tier, s.family, s.term_years) for s in default_rulebook().skus.values()}
    expected = {
        (tier, family, term)
        for tier in (Tier.PA, Tier.PA_PLUS, Tier.PM)
        for family in ProductFamily
        for term in rules_md.TERMS_YEARS
    }
    assert sold == expected


def test_contract_terms_are_one_three_four_or_five_years() -> None:
    assert default_rulebook().terms_years == frozenset(rules_md.TERMS_YEARS)


def test_service_starts_at_the_latest_thirty_days_after_purchase() -> None:
    assert default_rulebook().start_days_after_purchase == rules_md.START_DAYS_AFTER_PURCHASE


# --- tiers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tier", "minimum"), rules_md.MINIMUM_INSTALLED_BASE.items())
def test_each_tier_requires_its_minimum_installed_base(tier: Tier, minimum: int) -> None:
    assert default_rulebook().tiers[tier].minimum_installed_base == minimum


def test_only_priority_management_includes_parts_priority() -> None:
    with_parts_priority = [t for t, rule in default_rulebook().tiers.items() if rule.parts_priority]
    assert with_parts_priority == [Tier.PM]


def test_installed_bases_count_pcs_and_printers_together_by_default() -> None:
    counting = {t: rule.installed_base_counts for t, rule in default_rulebook().tiers.items()}
    assert set(counting.values()) == {"pcs_and_printers"}


def test_tiers_are_named_as_in_the_data_sheet() -> None:
    names = {t: rule.name for t, rule in default_rulebook().tiers.items()}
    assert names[Tier.PA] == "Priority Access"
    assert names[Tier.PA_PLUS] == "Priority Access Plus"
    assert names[Tier.PM] == "Priority Management"


# --- coverage ---------------------------------------------------------------------------------

REGIONS = {
    "Americas": rules_md.AMERICAS,
    "Europe, Middle East and Africa": rules_md.EMEA,
    "Asia Pacific and Japan": rules_md.APJ,
}


@pytest.mark.parametrize(
    ("region", "countries", "count"),
    [
        ("Americas", rules_md.AMERICAS, 18),
        ("Europe, Middle East and Africa", rules_md.EMEA, 32),
        ("Asia Pacific and Japan", rules_md.APJ, 13),
    ],
)
def test_each_region_covers_exactly_the_countries_of_the_data_sheet(
    region: str, countries: list[str], count: int
) -> None:
    assert len(countries) == count  # the hand-written list itself
    assert default_rulebook().regions[region] == frozenset(countries)


def test_the_rulebook_has_exactly_the_three_regions_of_the_data_sheet() -> None:
    assert set(default_rulebook().regions) == set(REGIONS)


def test_priority_services_cover_63_countries_none_of_them_in_two_regions() -> None:
    book = default_rulebook()
    assert sum(len(members) for members in book.regions.values()) == 63
    assert book.covered_countries == frozenset(rules_md.COVERED)
    assert len(book.covered_countries) == 63


@pytest.mark.parametrize("country", rules_md.COVERED)
def test_a_covered_country_belongs_to_its_region(country: str) -> None:
    expected = next(region for region, members in REGIONS.items() if country in members)
    assert default_rulebook().region_of(country) == expected


@pytest.mark.parametrize("country", ["VN", "IS", "BO", "KE"])
def test_a_country_outside_coverage_has_no_region(country: str) -> None:
    assert default_rulebook().region_of(country) is None
    assert country not in default_rulebook().covered_countries


def test_parts_priority_is_excluded_in_exactly_the_six_countries_of_the_data_sheet() -> None:
    assert default_rulebook().parts_priority_excluded == frozenset(rules_md.EXCLUDED)


def test_every_excluded_country_is_still_covered_so_its_pm_customers_keep_other_features() -> None:
    book = default_rulebook()
    assert book.parts_priority_excluded <= book.covered_countries


def test_the_sheet_chinese_names_are_kept_for_all_63_countries() -> None:
    assert dict(default_rulebook().chinese_names) == rules_md.CHINESE_NAMES


def test_the_second_dominican_spelling_of_the_exclusion_list_is_an_alias_of_do() -> None:
    assert default_rulebook().country_aliases["多明尼加共和国"] == "DO"


# --- products and languages -------------------------------------------------------------------


def test_covered_product_types_map_to_the_family_whose_sku_covers_them() -> None:
    assert dict(default_rulebook().product_types) == rules_md.PRODUCT_FAMILIES


@pytest.mark.parametrize("product_type", rules_md.UNCOVERED_PRODUCTS)
def test_monitors_servers_storage_and_consumer_products_are_not_covered(
    product_type: str,
) -> None:
    assert product_type not in default_rulebook().product_types


def test_support_is_offered_in_21_languages() -> None:
    languages = default_rulebook().support_languages
    assert len(languages) == 21
    assert {"Malay", "Cantonese", "Hindi", "Chinese", "Turkish"} <= set(languages)


# --- loading files ----------------------------------------------------------------------------


def test_the_packaged_rules_file_loaded_from_a_path_equals_the_default_rulebook(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(packaged_text(), encoding="utf-8")
    assert load_rulebook(path) == default_rulebook()


def test_coverage_is_data_a_new_country_is_an_edit_of_the_rules_file(tmp_path: Path) -> None:
    path = write_edited(tmp_path, "    TH: 泰国\n", "    TH: 泰国\n    VN: 越南\n")
    book = load_rulebook(path)
    assert "VN" in book.covered_countries
    assert book.region_of("VN") == "Asia Pacific and Japan"


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        pytest.param("version: 1\n", "version: 1\n  bad: [unclosed\n", "not valid YAML", id="yaml"),
        pytest.param(
            "U7D00E: {tier: PM,", "U7D00E: {tier: PB,", "skus.U7D00E.tier", id="sku-unknown-tier"
        ),
        pytest.param(
            "U7D00E: {tier: PM,",
            "U7D00E: {tier: standard,",
            "skus.U7D00E.tier",
            id="sku-sells-standard",
        ),
        pytest.param(
            "  PA: {name: Priority Access,",
            "  PX: {name: Priority Access,",
            "tiers.PX",
            id="tier-unknown",
        ),
        pytest.param(
            "U7D00E: {tier: PM, term_years: 1,",
            "U7D00E: {tier: PM, term_years: 2,",
            "skus.U7D00E.term_years",
            id="term-2-years",
        ),
        pytest.param(
            "U7D00E: {tier: PM, term_years: 1,",
            "U7D00E: {tier: PM, term_years: one,",
            "skus.U7D00E.term_years",
            id="term-text",
        ),
        pytest.param(
            "U7D00E: {tier: PM, term_years: 1,",
            "U7D00E: {tier: PM, term_years: yes,",
            "skus.U7D00E.term_years",
            id="term-yaml-boolean",
        ),
        pytest.param(
            "U7D00E: {tier: PM, term_years: 1, family: pc}",
            "U7D00E: {tier: PM, term_years: 1, family: pcs}",
            "skus.U7D00E.family",
            id="sku-family",
        ),
        pytest.param("terms_years: [1, 3, 4, 5]", "terms_years: 5", "terms_years", id="terms"),
        pytest.param("    AR: 阿根廷", "    ARG: 阿根廷", "regions.Americas.ARG", id="alpha-3"),
        pytest.param("    AR: 阿根廷", "    ar: 阿根廷", "regions.Americas.ar", id="lowercase"),
        pytest.param(
            '    "NO": 挪威',
            "    NO: 挪威",
            "regions.Europe, Middle East and Africa.False",
            id="norway-read-as-false",
        ),
        pytest.param(
            "  UY: 乌拉圭\n\n",
            "  UY: 乌拉圭\n  VN: 越南\n\n",
            "parts_priority_excluded lists uncovered countries ['VN']",
            id="excluded-but-uncovered",
        ),
        pytest.param(
            "  UY: 乌拉圭\n\n",
            "  UY: 乌拉圭\n  uy: 乌拉圭\n\n",
            "parts_priority_excluded.uy",
            id="excluded-lowercase",
        ),
        pytest.param("  UK: GB", "  UK: GBR", "country_aliases.UK", id="alias-code"),
        pytest.param(
            "minimum_installed_base: 250,",
            "minimum_installed_base: -250,",
            "tiers.PA.minimum_installed_base",
            id="negative-minimum",
        ),
        pytest.param(
            "minimum_installed_base: 250, installed_base_counts: pcs_and_printers",
            "minimum_installed_base: 250, installed_base_counts: printers",
            "tiers.PA.installed_base_counts",
            id="counting",
        ),
        pytest.param(
            "start_days_after_purchase: 30",
            "start_days_after_purchase: -1",
            "start_days_after_purchase",
            id="negative-start",
        ),
        pytest.param(
            "start_days_after_purchase: 30",
            "start_days_after_purchase: thirty",
            "start_days_after_purchase",
            id="start-text",
        ),
        pytest.param("regions:\n", "regionz:\n", "regions", id="regions-missing"),
        pytest.param("desktop: pc", "desktop: laptop", "product_types.desktop", id="product"),
    ],
)
def test_a_malformed_rules_file_is_refused_naming_the_field(
    tmp_path: Path, old: str, new: str, named: str
) -> None:
    path = write_edited(tmp_path, old, new)
    with pytest.raises(RulebookError) as caught:
        load_rulebook(path)
    assert named in str(caught.value)
    assert str(path) in str(caught.value)


def test_the_norway_pitfall_is_refused_instead_of_dropping_norway(tmp_path: Path) -> None:
    # A bare NO is YAML 1.1's false: a loader that accepted it would silently lose Norway.
    path = write_edited(tmp_path, '    "NO": 挪威', "    NO: 挪威")
    with pytest.raises(RulebookError, match="False is not an ISO 3166-1 alpha-2 code"):
        load_rulebook(path)


def test_a_rules_file_missing_a_tier_is_refused_naming_the_tier(tmp_path: Path) -> None:
    old = (
        "  PA+: {name: Priority Access Plus, rank: 2, parts_priority: false, "
        "minimum_installed_base: 1000, installed_base_counts: pcs_and_printers}\n"
    )
    path = write_edited(tmp_path, old, "")
    with pytest.raises(RulebookError, match=r"tiers is missing \['PA\+'\]"):
        load_rulebook(path)


def test_a_rules_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(RulebookError, match="expected a mapping at the top level"):
        load_rulebook(path)


def test_a_missing_rules_file_is_refused_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(RulebookError, match="cannot read rules file") as caught:
        load_rulebook(path)
    assert str(path) in str(caught.value)


def test_a_rulebook_error_is_an_input_error_so_the_cli_exits_2() -> None:
    assert issubclass(RulebookError, InputError)
