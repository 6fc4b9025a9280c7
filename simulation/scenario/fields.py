"""What every scenario field means, with its unit: the descriptions of ``scenarios/schema.json``.

Kept beside the models rather than inside them so that the schema's prose can change without
touching the validation code; a test checks that every field of every model has an entry
here, so a new field cannot ship undocumented.
"""

from __future__ import annotations

__all__ = ["FIELD_DOCS", "MODEL_DOCS"]

MODEL_DOCS: dict[str, str] = {
    "Scenario": "A shortage scenario: the world, what happens to it, and how to measure it.",
    "World": "Where the world comes from: a snapshot folder or the synthetic generator.",
    "GeneratedWorld": "A synthetic world (the arguments of parts-priority generate).",
    "DemandModel": "How repair orders arrive.",
    "Replenishment": "How depots restock.",
    "LeadTime": "A lead-time distribution in hours.",
    "UnmetDemand": (
        "Per priority class, what happens to an order the depots cannot serve in time "
        "(absent: it waits)."
    ),
    "ClassFallback": (
        "Lost sales or emergency supply for one class: an order its class's free supply "
        "cannot cover within the allowance is lost, or served by an emergency channel."
    ),
    "SourceBehaviour": "How the special means (expedite, broker) behave in the simulation.",
    "ExpediteBehaviour": "Expedited factory deliveries: the snapshot's expedite options.",
    "BrokerBehaviour": "Broker buys: the snapshot's broker offers.",
    "DepotOffline": "Depots cut off for a window: stock unreachable, nothing ships from them.",
    "SupplyCut": "A factory loses volume and its lead times stretch, for some parts.",
    "DemandSurge": "Demand for some parts in some countries multiplies, for a window.",
    "BrokerMarket": "The open market dries up, fails more often or gets dearer, for a window.",
    "PolicySpec": "The allocation policy under test.",
}

FIELD_DOCS: dict[str, str] = {
    # Scenario
    "Scenario.version": "Scenario file format version; must be 1.",
    "Scenario.name": "Short name shown in tables, charts and JSON.",
    "Scenario.description": "Free text: what the scenario is about.",
    "Scenario.world": "The world the scenario runs in.",
    "Scenario.start": (
        "Date-time of day 0 (ISO 8601). Default: the snapshot's moment, its latest order."
    ),
    "Scenario.horizon_days": "Days during which new orders arrive (0 < days <= 3,660).",
    "Scenario.warmup_days": (
        "Days at the start whose orders are left out of the KPIs (the world settles); "
        "shorter than horizon_days."
    ),
    "Scenario.drain_days": (
        "Days the run continues after the horizon, so that late orders can finish; their "
        "downtime counts."
    ),
    "Scenario.demand": "How repair orders arrive.",
    "Scenario.replenishment": "How depots restock.",
    "Scenario.unmet_demand": (
        "Per class (parts_priority, standard): orders that cannot be served within an "
        "allowance are lost or go to an emergency channel; absent, they wait."
    ),
    "Scenario.sources": "How expedite and broker supply behave.",
    "Scenario.repair_hours": "Hours of repair after the part arrives; part of the downtime.",
    "Scenario.target_hours": (
        "Downtime promised (hours): the KPI within_target is the share restored within it."
    ),
    "Scenario.currency": (
        "ISO 4217 code of the world's costs and prices (default USD): it labels money in "
        "tables and charts; nothing is converted. policy.options.currency names the same "
        "currency (either place; both must agree)."
    ),
    "Scenario.disruptions": "What goes wrong, and when (windows may overlap).",
    "Scenario.policy": "The allocation policy under test.",
    "Scenario.replications": "How many independent replications to run (1-10,000).",
    "Scenario.seed": "Random seed: the same seed gives the same result, bit for bit.",
    # World
    "World.snapshot": "A snapshot folder (one CSV or Parquet file per table), relative to "
    "the scenario file.",
    "World.generate": "Generate a synthetic world instead of reading a snapshot.",
    "GeneratedWorld.orders": "Open orders in the generated backlog.",
    "GeneratedWorld.parts": "Parts in the catalogue.",
    "GeneratedWorld.depots": "Depots over the three regions.",
    "GeneratedWorld.customers": "Customers (default: scaled to the orders).",
    "GeneratedWorld.coverable_share": "Share of demanded units that supply can cover (0-1].",
    "GeneratedWorld.seed": "Seed of the generator (same seed, same world).",
    # Demand
    "DemandModel.model": (
        "poisson: a Poisson stream over the customer x part mix; replay: the orders of an "
        "order log arrive at their created_at."
    ),
    "DemandModel.backlog": (
        "The snapshot's open orders wait for parts at the start (true), or only give the mix."
    ),
    "DemandModel.orders_per_day": (
        "Orders per day in all (poisson). With a rates CSV, its rates are scaled to this "
        "total; without one, the mix of the snapshot's open orders is used."
    ),
    "DemandModel.rates": (
        "CSV of orders per day per customer x part (customer_id, part_number, per_day, "
        "product_type, optional warranty_valid, ship_to_country, quantity), relative to the "
        "scenario file."
    ),
    "DemandModel.log": "Orders CSV to replay (model replay), relative to the scenario file.",
    # Replenishment
    "Replenishment.policy": (
        "base_stock: each unit that leaves a depot (shipped from its shelf or promised from "
        "a receipt) is reordered at once, at that depot, so on hand + on order - promised "
        "stays at its level; units bought by expedite, broker or an emergency channel "
        "reorder nothing. none: only scheduled receipts."
    ),
    "Replenishment.base_stock": (
        "world: each depot x part's starting stock is its base-stock level; or a CSV "
        "(part_number, depot_id, base_stock) relative to the scenario file."
    ),
    "Replenishment.lead_time": "Factory lead time of a reorder.",
    "Replenishment.scheduled_receipts": "The snapshot's inbound receipts land when due.",
    "Replenishment.servers": (
        "Parallel servers of each part's replenishment channel (a repair shop): reorders "
        "are worked on first come, first served, at most this many at once, each for a "
        "time drawn from lead_time. Default: unlimited (independent lead times)."
    ),
    "UnmetDemand.parts_priority": "What happens to parts-priority orders not served in time.",
    "UnmetDemand.standard": "What happens to standard orders not served in time.",
    "ClassFallback.allowance_hours": (
        "Hours from arrival within which the order's free supply must bring every unit to "
        "the customer (0: only units on a shelf with no transit)."
    ),
    "ClassFallback.outcome": (
        "lost: the order is counted lost and never served; emergency: an emergency channel "
        "outside the network serves it after lead_time."
    ),
    "ClassFallback.lead_time": "Lead time of the emergency channel (outcome emergency).",
    "ClassFallback.unit_cost": "Price of a unit from the emergency channel (outcome emergency).",
    "LeadTime.distribution": "fixed, exponential, gamma, lognormal or uniform.",
    "LeadTime.mean_hours": "Mean lead time in hours.",
    "LeadTime.cv": (
        "Coefficient of variation (standard deviation / mean); gamma and lognormal need "
        "cv > 0, uniform cv <= 0.577."
    ),
    # Sources
    "SourceBehaviour.capacity_period_hours": (
        "A supply option's capacity is units per this many hours (a week by default), "
        "renewed at the start of each period."
    ),
    "SourceBehaviour.expedite": "Expedited factory deliveries.",
    "SourceBehaviour.broker": "Broker buys.",
    "ExpediteBehaviour.capacity_scale": "Multiplies every expedite option's capacity.",
    "ExpediteBehaviour.lead_time_cv": "Variability of expedite lead times (0: fixed).",
    "BrokerBehaviour.capacity_scale": "Multiplies every broker offer's capacity.",
    "BrokerBehaviour.lead_time_cv": "Variability of broker lead times (0: fixed).",
    "BrokerBehaviour.price_multiplier": "Multiplies every broker price.",
    "BrokerBehaviour.failure_probability": (
        "Chance a broker buy fails, for every offer (default: each offer's own "
        "success_probability)."
    ),
    "BrokerBehaviour.failure_detected_after_hours": (
        "Hours after the buy at which a failure is known (default: when the units were due)."
    ),
    # Disruptions (shared window fields are listed per kind in the schema)
    "DepotOffline.kind": "depot_offline",
    "DepotOffline.name": "Label in records and charts.",
    "DepotOffline.start_day": "First day of the window (days from the start).",
    "DepotOffline.end_day": "Day the window ends (after start_day).",
    "DepotOffline.depots": "Depot ids of the world.",
    "SupplyCut.kind": "supply_cut",
    "SupplyCut.name": "Label in records and charts.",
    "SupplyCut.start_day": "First day of the window (days from the start).",
    "SupplyCut.end_day": "Day the window ends (after start_day).",
    "SupplyCut.parts": "Part numbers or shell patterns (HDD-*); empty: every part.",
    "SupplyCut.volume_lost": (
        "Share of the factory's volume lost (0-1): replenishment ships at (1 - share) of the "
        "part's normal demand rate, expedite capacity shrinks by the share; 0: the factory "
        "keeps up and only lead times stretch."
    ),
    "SupplyCut.lead_time_factor": "Multiplies factory and expedite lead times (>= 1).",
    "DemandSurge.kind": "demand_surge",
    "DemandSurge.name": "Label in records and charts.",
    "DemandSurge.start_day": "First day of the window (days from the start).",
    "DemandSurge.end_day": "Day the window ends (after start_day).",
    "DemandSurge.parts": "Part numbers or shell patterns; empty: every part.",
    "DemandSurge.countries": "Countries (ISO codes or names); empty: every country.",
    "DemandSurge.factor": "Multiplies the demand of the matching parts and countries.",
    "BrokerMarket.kind": "broker_market",
    "BrokerMarket.name": "Label in records and charts.",
    "BrokerMarket.start_day": "First day of the window (days from the start).",
    "BrokerMarket.end_day": "Day the window ends (after start_day).",
    "BrokerMarket.parts": "Part numbers or shell patterns; empty: every part.",
    "BrokerMarket.capacity_factor": "Multiplies broker capacity (0: the market dries up).",
    "BrokerMarket.failure_probability": "Chance a broker buy fails during the window.",
    "BrokerMarket.price_factor": "Multiplies broker prices during the window.",
    # Policy
    "PolicySpec.strategy": "optimal (the lexicographic optimizer), fifo or tier_greedy.",
    "PolicySpec.mode": (
        "event: re-plan the touched part on every arrival and receipt; periodic: re-plan "
        "every period_hours."
    ),
    "PolicySpec.period_hours": "Hours between re-plans in periodic mode.",
    "PolicySpec.options": (
        "The policy file's allocation section: allowed_sources, preemption, partial_fills, "
        "substitutes, rank_tiers_within_standard, eta_resolution_hours, "
        "min_success_probability, broker_risk (threshold or priced), "
        "broker_failure_detected_hours, broker_fallback_hours."
    ),
    "PolicySpec.entitlement": (
        "The policy file's entitlement section: site_country, "
        "pa_plus_installed_base_counts, start_days_after_purchase, require_it_helpdesk, "
        "enforce_installed_base."
    ),
}
