"""Invented company names and domains; the .example domain is reserved, so none is real."""

import random
from dataclasses import dataclass

DOMAIN_SUFFIX = ".example"

_FIRST = (
    "Northwind",
    "Bluefin",
    "Cedar",
    "Halcyon",
    "Ironbark",
    "Juniper",
    "Kestrel",
    "Larkspur",
    "Meridian",
    "Nimbus",
    "Oakridge",
    "Pinecrest",
    "Quartz",
    "Redwood",
    "Saffron",
    "Tidewater",
    "Umber",
    "Vantage",
    "Willow",
    "Zephyr",
    "Amber",
    "Brightline",
    "Copperleaf",
    "Driftwood",
    "Evergreen",
    "Foxglove",
    "Granite",
    "Harbor",
    "Indigo",
    "Keystone",
    "Lumen",
    "Mosaic",
    "Northstar",
    "Orchid",
    "Parallax",
    "Quill",
    "Riverbend",
    "Silverline",
    "Tamarack",
    "Upland",
    "Vireo",
    "Wavecrest",
    "Yarrow",
    "Alder",
    "Beacon",
    "Cobalt",
    "Delta Ridge",
    "Ember",
    "Fathom",
    "Glacier",
    "Heron",
    "Ivory",
    "Jasper",
    "Kinetic",
    "Lattice",
    "Maple",
)
# Second word and the industry it suggests.
_SECOND = (
    ("Analytics", "Software"),
    ("Software", "Software"),
    ("Cloud", "Software"),
    ("Labs", "Software"),
    ("Systems", "Software"),
    ("Health", "Healthcare"),
    ("Bio", "Healthcare"),
    ("Clinics", "Healthcare"),
    ("Capital", "Financial services"),
    ("Payments", "Financial services"),
    ("Insurance", "Financial services"),
    ("Logistics", "Logistics"),
    ("Freight", "Logistics"),
    ("Foods", "Retail & CPG"),
    ("Outfitters", "Retail & CPG"),
    ("Energy", "Energy"),
    ("Solar", "Energy"),
    ("Robotics", "Manufacturing"),
    ("Manufacturing", "Manufacturing"),
    ("Media", "Media"),
    ("Studios", "Media"),
)
INDUSTRIES = tuple(dict.fromkeys(industry for _, industry in _SECOND))
_LEGAL = ("", "", "", " Inc.", " Group", " Co.", " Ltd")
FIRST_NAMES = (
    "Ana",
    "Ben",
    "Chloe",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kara",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Priya",
    "Rafael",
    "Sara",
    "Tomas",
    "Uma",
    "Victor",
    "Wen",
)
LAST_NAMES = (
    "Alvarez",
    "Brooks",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
    "Rossi",
    "Silva",
    "Tanaka",
    "Varga",
    "Weber",
    "Yilmaz",
)


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    slug: str
    industry: str


def _slug(words: str) -> str:
    return "-".join(words.lower().replace("&", "and").split())


def companies(rng: random.Random, count: int) -> list[Company]:
    """count distinct invented companies, each with a domain shaped like real ones."""
    pairs = [(first, second) for first in _FIRST for second in _SECOND]
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} distinct demo companies; asked for {count}")
    chosen = rng.sample(pairs, count)
    found: list[Company] = []
    for first, (second, industry) in chosen:
        base = f"{first} {second}"
        slug = _slug(base)
        shape = rng.random()
        if shape < 0.5:
            host = slug.replace("-", "")
        elif shape < 0.8:
            host = slug
        else:
            host = "get" + slug.replace("-", "")
        found.append(Company(base + rng.choice(_LEGAL), host + DOMAIN_SUFFIX, slug, industry))
    return found


def person(rng: random.Random) -> tuple[str, str]:
    """A full name and the local part of an email address for it."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first} {last}", f"{first}.{last}".lower()
