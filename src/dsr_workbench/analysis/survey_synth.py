"""The seeded synthetic example survey: :func:`make_survey` and its generator.

Draws ~40 client–CMO dyads (the first six from ``study.yaml``), each relationship's phase
history and events, its attributes, and both sides' answers from a latent relationship
quality with a built-in Relationship Gap; deterministic for a given seed. The tables follow
the contract in :mod:`dsr_workbench.analysis.survey_contract`;
:mod:`dsr_workbench.analysis.survey` re-exports :func:`make_survey`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dsr_workbench.analysis.survey_contract import (
    CONSTRUCTS,
    EVENT_TYPES,
    PHASES,
    RESPONSE_COLUMNS,
    SurveyData,
    item_catalogue,
)
from dsr_workbench.core.errors import DsrError

__all__ = ["make_survey"]

# The study's cast (study.yaml) as the first six dyads: client, CMO, client respondents,
# CMO respondents, modality, current phase.
_CAST = (
    ("ALPHA", "GAMMA", ("P01", "P02"), ("P07",), "biologic_drug_product", "commercial"),
    ("ALPHA", "DELTA", ("P03",), ("P10",), "oral_solid", "post_patent"),
    ("BETA", "GAMMA", ("P04",), ("P08",), "biologic_drug_product", "clinical"),
    ("BETA", "DELTA", ("P05",), ("P11",), "oral_solid", "technology_transfer"),
    ("EPSILON", "DELTA", ("P13",), ("P12",), "oral_solid", "commercial"),
    ("ALPHA", "EPSILON", ("P01",), ("P14",), "small_molecule_api", "technology_transfer"),
)
_MODALITIES = {
    "GAMMA": ("biologic_drug_substance", "biologic_drug_product"),
    "DELTA": ("oral_solid",),
    "EPSILON": ("oral_solid", "small_molecule_api"),
}
_ANY_MODALITY = (
    "oral_solid",
    "small_molecule_api",
    "biologic_drug_substance",
    "biologic_drug_product",
    "sterile_injectable",
)
_PHASE_P = (0.08, 0.17, 0.2, 0.4, 0.15)
# Typical duration of a completed phase in months (uniform low, high).
_DURATION = {
    "selection": (3, 9),
    "technology_transfer": (9, 24),
    "clinical": (12, 48),
    "commercial": (36, 120),
    "post_patent": (24, 96),
}
# Events per year of exposure, by phase.
_EVENT_RATE = {
    "selection": (0.0, 0.0, 0.0),
    "technology_transfer": (0.8, 0.1, 0.3),
    "clinical": (0.05, 0.3, 0.35),
    "commercial": (0.0, 0.35, 0.25),
    "post_patent": (0.0, 0.15, 0.2),
}
# Importance (expectation) means per construct: (client, cmo).
_EXPECT = {
    "trust": (6.1, 6.2),
    "communication": (5.9, 6.0),
    "information_sharing": (5.2, 6.2),
    "joint_problem_solving": (5.5, 5.8),
    "flexibility": (5.8, 4.8),
    "quality_compliance": (6.6, 6.4),
    "capacity_access": (6.0, 5.0),
    "tech_transfer": (5.7, 5.9),
    "power_balance": (4.2, 5.1),
    "cultural_fit": (4.6, 5.2),
    "governance": (5.3, 5.6),
    "performance_transparency": (5.6, 5.0),
}
# Perception shift per construct by side (client, cmo): the Relationship Gap built in.
_SIDE_BIAS = {
    "communication": (-0.2, 0.3),
    "information_sharing": (0.3, -0.5),
    "flexibility": (-0.5, 0.4),
    "capacity_access": (-0.4, 0.3),
    "tech_transfer": (-0.3, 0.2),
    "power_balance": (0.2, -0.5),
    "quality_compliance": (0.0, 0.2),
    "performance_transparency": (-0.4, 0.2),
}


def make_survey(
    n_relationships: int = 40,
    *,
    seed: int = 20260105,
    missing: float = 0.03,
    one_sided: int = 1,
    as_of: str = "2026-06-30",
) -> SurveyData:
    """Generate the synthetic example survey (deterministic for a given ``seed``).

    The first six relationships pair the organisations and participants of ``study.yaml``
    (CMR01 ALPHA–GAMMA, answered by two client respondents, P01 and P02); the rest are
    anonymous (clients ``CL01``.., CMOs ``CM01``.. or the study's CMOs). Perceptions follow a
    latent relationship quality, side-specific biases (the built-in Relationship Gap) and
    recent events; outcomes follow trust, quality, communication and flexibility.

    Parameters
    ----------
    n_relationships
        Number of dyads, at least 6 (ids ``CMR01``..).
    seed
        Seed of :func:`numpy.random.default_rng`.
    missing
        Share of answers left empty (missing completely at random).
    one_sided
        Number of relationships (the last ones) whose CMO side did not answer at all.
    as_of
        Survey date: every phase history runs up to it.

    Returns
    -------
    SurveyData
        ``responses``, ``items``, ``relationships``, ``phases`` and ``events``.

    Examples
    --------
    >>> s = make_survey(seed=1)
    >>> s.relationships.shape, s.responses["perspective"].value_counts().to_dict()
    ((40, 12), {'client': 2050, 'cmo': 1950})
    """
    if n_relationships < len(_CAST):
        raise DsrError(f"n_relationships={n_relationships} is below {len(_CAST)}")
    if not 0 <= missing < 1:
        raise DsrError(f"missing={missing} is not a share in [0, 1)")
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(as_of)
    dyads = _dyads(n_relationships, rng)
    phases = _phases(dyads, rng, end)
    events = _events(phases, rng, end)
    relationships = _attributes(dyads, phases, rng)
    responses = _answers(dyads, relationships, events, rng, end, missing, one_sided)
    return SurveyData(responses, item_catalogue(), relationships, phases, events)


def _dyads(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for k, (cl, cmo, cr, mr, modality, phase) in enumerate(_CAST, start=1):
        rows.append((f"CMR{k:02d}", cl, cmo, cr, mr, modality, phase))
    cmos = np.array(["GAMMA", "DELTA", "EPSILON", *[f"CM{j:02d}" for j in range(1, 10)]])
    cmo_p = np.array([3, 3, 2, *[1] * 9], dtype=float)
    for k in range(len(_CAST) + 1, n + 1):
        rid = f"CMR{k:02d}"
        cmo = str(rng.choice(cmos, p=cmo_p / cmo_p.sum()))
        modality = str(rng.choice(_MODALITIES.get(cmo, _ANY_MODALITY)))
        phase = str(rng.choice(PHASES, p=_PHASE_P))
        client = f"CL{int(rng.integers(1, 23)):02d}"
        rows.append((rid, client, cmo, (f"{rid}-C",), (f"{rid}-M",), modality, phase))
    cols = ["relationship_id", "client", "cmo", "client_resp", "cmo_resp", "modality", "phase"]
    return pd.DataFrame(rows, columns=cols)


def _months(rng: np.random.Generator, phase: str) -> float:
    lo, hi = _DURATION[phase]
    return float(rng.uniform(lo, hi))


def _phases(dyads: pd.DataFrame, rng: np.random.Generator, as_of: pd.Timestamp) -> pd.DataFrame:
    rows = []
    for rid, current in zip(dyads["relationship_id"], dyads["phase"], strict=True):
        i = PHASES.index(current)
        if current in ("commercial", "post_patent"):
            path = ["selection", "technology_transfer"]
            if rng.random() < 0.5:
                path.append("clinical")
            path.append("commercial")
            if rng.random() < 0.3:  # a second transfer (new site or product), then back
                path += ["technology_transfer", "commercial"]
            if current == "post_patent":
                path.append("post_patent")
        else:
            path = list(PHASES[: i + 1])
        # Walk back from the survey date: the current phase is part-way through.
        stop = as_of
        spells = []
        for j, phase in enumerate(reversed(path)):
            months = _months(rng, phase) * (rng.uniform(0.15, 0.9) if j == 0 else 1.0)
            start = (stop - pd.Timedelta(days=round(months * 30.4375))).normalize()
            spells.append((rid, phase, start, pd.NaT if j == 0 else stop))
            stop = start
        rows += reversed(spells)
    out = pd.DataFrame(rows, columns=["relationship_id", "phase", "start", "end"])
    out["start"] = pd.to_datetime(out["start"]).astype("datetime64[s]")
    out["end"] = pd.to_datetime(out["end"]).astype("datetime64[s]")
    return out


def _events(phases: pd.DataFrame, rng: np.random.Generator, as_of: pd.Timestamp) -> pd.DataFrame:
    rows = []
    for spell in phases.itertuples(index=False):
        stop = as_of if pd.isna(spell.end) else spell.end
        days = (stop - spell.start).days
        for event, rate in zip(EVENT_TYPES, _EVENT_RATE[spell.phase], strict=True):
            for _ in range(rng.poisson(rate * days / 365.25)):
                date = spell.start + pd.Timedelta(days=int(rng.integers(0, max(days, 1))))
                severity = str(rng.choice(["minor", "major", "critical"], p=[0.6, 0.3, 0.1]))
                rows.append((spell.relationship_id, date, event, severity))
    out = pd.DataFrame(rows, columns=["relationship_id", "date", "event", "severity"])
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[s]")
    return out.sort_values(["relationship_id", "date", "event"], ignore_index=True)


def _attributes(dyads: pd.DataFrame, phases: pd.DataFrame, rng: np.random.Generator):
    n = len(dyads)
    bio = dyads["modality"].str.startswith("biologic").to_numpy()
    phase_i = dyads["phase"].map(PHASES.index).to_numpy()
    late = phase_i >= 3

    def rating(mu: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(mu + rng.normal(0, 1.0, n)), 1, 7).astype(int)

    importance = rating(4.2 + 1.0 * bio + 0.8 * late)
    dependency = rating(3.4 + 0.6 * bio + 0.3 * late)
    spend = np.round(np.exp(rng.normal(1.2 + 0.9 * late + 0.7 * bio, 0.6, n)), 2)
    since = phases.groupby("relationship_id")["start"].min()
    return pd.DataFrame(
        {
            "relationship_id": dyads["relationship_id"],
            "client": dyads["client"],
            "cmo": dyads["cmo"],
            "modality": dyads["modality"],
            "phase": dyads["phase"],
            "since": dyads["relationship_id"].map(since).to_numpy(),
            "strategic_importance": importance,
            "supply_risk": rating(3.5 + 1.0 * bio),
            "dependency": dependency,
            "switching_cost": rating(0.6 * dependency + 1.2 + 0.6 * late),
            "interaction_intensity": rating(3.8 + 1.2 * (phase_i == 1) + 0.6 * (phase_i == 2)),
            "spend_meur": spend,
        }
    )


def _answers(
    dyads: pd.DataFrame,
    relationships: pd.DataFrame,
    events: pd.DataFrame,
    rng: np.random.Generator,
    as_of: pd.Timestamp,
    missing: float,
    one_sided: int,
) -> pd.DataFrame:
    constructs = list(CONSTRUCTS)
    recent = events[events["date"] >= as_of - pd.Timedelta(days=3 * 365)]
    counts = recent.groupby(["relationship_id", "event"]).size()
    rows = []
    n = len(dyads)
    for k, d in enumerate(dyads.itertuples(index=False)):
        quality = rng.normal(0.0, 1.0)
        hit = {e: counts.get((d.relationship_id, e), 0) for e in EVENT_TYPES}
        shift = {
            "quality_compliance": -0.3 * hit["quality_incident"],
            "capacity_access": -0.3 * hit["capacity_conflict"],
            "tech_transfer": -0.3 * hit["tech_transfer_delay"],
            "trust": -0.1 * sum(hit.values()),
        }
        dependency = float(relationships.loc[k, "dependency"])
        sides = [("client", d.client_resp, 0)]
        if k < n - one_sided:
            sides.append(("cmo", d.cmo_resp, 1))
        for perspective, respondents, s in sides:
            for resp in respondents:
                halo = rng.normal(0.0, 0.35)
                latent = {}
                for c in constructs:
                    mu_e = _EXPECT[c][s] + rng.normal(0, 0.3)
                    mu_p = 5.0 + 0.75 * quality + _SIDE_BIAS.get(c, (0, 0))[s]
                    mu_p += shift.get(c, 0.0) + halo + rng.normal(0, 0.35)
                    latent[c] = mu_p
                    for j in (1, 2):
                        for kind, mu, sd in (
                            ("expectation", mu_e, 0.55),
                            ("perception", mu_p, 0.6),
                        ):
                            v = int(np.clip(np.rint(mu + rng.normal(0, sd)), 1, 7))
                            rows.append(
                                (d.relationship_id, resp, perspective, f"{c}_{j}", c, kind, v)
                            )
                drive = (
                    0.55 * (latent["trust"] - 5.0)
                    + 0.45 * (latent["quality_compliance"] - 5.0)
                    + 0.35 * (latent["communication"] - 5.0)
                    + 0.25 * (latent["flexibility"] - 5.0)
                )
                sat = np.clip(np.rint(4.8 + 1.1 * drive + rng.logistic(0, 0.5)), 1, 7)
                intent = 3.6 + 0.6 * drive + 0.25 * (dependency - 4) + rng.logistic(0, 0.45)
                for name, v in (
                    ("satisfaction", sat),
                    ("intent_to_continue", np.clip(np.rint(intent), 1, 5)),
                ):
                    rows.append(
                        (d.relationship_id, resp, perspective, name, "outcome", "outcome", int(v))
                    )
    out = pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))
    out["value"] = out["value"].astype("Int64")
    out.loc[rng.random(len(out)) < missing, "value"] = pd.NA
    order = {"expectation": 0, "perception": 1, "outcome": 2}
    out = out.sort_values(
        ["relationship_id", "perspective", "respondent", "kind"],
        key=lambda s: s.map(order) if s.name == "kind" else s,
        kind="stable",
    )
    return out.reset_index(drop=True)
