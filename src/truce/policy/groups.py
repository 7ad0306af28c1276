"""Built-in groups of regions and sectors that a scenario may name in ``by``, ``on`` and
``sectors``.

Region groups (:data:`REGION_GROUPS`).  Where a world has a region whose code is the
group's code, the code means that region, whatever its members: the built-in ``default``
world has a region ``EU27`` (the 27 members) and a region ``ASEAN`` that holds the ASEAN
members other than Viet Nam (``VNM`` is a region of its own there, so "all of ASEAN" is
``[ASEAN, VNM]``).  Elsewhere a group stands for those of its members that are regions
of the world (in the ``cp2015`` world, ``EU27`` is its 13 EU members); a group none of
whose members is a region of the world is an unknown code.

Sector groups (:data:`SECTOR_GROUPS`): ``services`` are the sectors whose code, or whose
parent's code for a ``SECTOR.PRODUCT`` sub-sector, is a known service code
(:data:`SERVICE_CODES`), together with the sectors that have no foreign flow at all in
the baseline (non-tradables, which is how Caliendo and Parro treat services); ``goods``
are all the others.  A sector code of the world always wins over a group of the same
name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

EU27: tuple[str, ...] = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE",
)  # fmt: skip
"""The 27 members of the European Union since the United Kingdom left on 1 February
2020 (ISO 3166-1 alpha-3).  Source: European Union, "EU countries",
https://european-union.europa.eu/principles-countries-history/eu-countries_en."""

ASEAN: tuple[str, ...] = ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM")
"""The 10 members of the Association of Southeast Asian Nations of the worlds' data years
(ISO 3166-1 alpha-3).  Source: ASEAN Secretariat, "ASEAN Member States",
https://asean.org/member-states/.  Timor-Leste (TLS), admitted as the eleventh member in
October 2025, is left out, as it is from the built-in worlds' ASEAN region."""

REGION_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType({"EU27": EU27, "ASEAN": ASEAN})
"""Built-in region groups by code."""

SERVICE_CODES: frozenset[str] = frozenset(
    (
        # The built-in default world's services aggregate (truce.data.sources.icio2022).
        "SVC",
        # OECD ICIO (2023 edition) service sectors, ISIC Rev.4 sections D to T.
        "D", "E", "F", "G", "H49", "H50", "H51", "H52", "H53", "I", "J58T60", "J61",
        "J62_63", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T",
        # Caliendo and Parro (2015), sectors 21-40 (the cp2015 world's short codes).
        "ELY", "CON", "RET", "HOT", "LTR", "WTR", "ATR", "AUX", "PST", "FNS", "REA", "RNT",
        "CMP", "RND", "OBS", "PUB", "EDU", "HLT", "OSV", "PRV",
    )
)  # fmt: skip
"""Sector codes that name services, with their sources."""

SECTOR_GROUPS: tuple[str, ...] = ("goods", "services")
"""Built-in sector groups."""


def parent_sector(code: str) -> str:
    """The sector a ``SECTOR.PRODUCT`` sub-sector belongs to (the code itself otherwise)."""
    return code.split(".", 1)[0]


def is_service(code: str, traded: bool) -> bool:
    """Whether sector ``code`` counts as a service: a known service code (or the
    sub-sector of one), or a sector with no foreign flow (``traded`` False)."""
    return parent_sector(code) in SERVICE_CODES or not traded
