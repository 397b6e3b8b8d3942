"""Name pools for the population (Welsh names and double-barrelled surnames too), and the
spelling variants and typing errors that make records dirty."""

from __future__ import annotations

import random
import unicodedata

MALE_FORENAMES = (
    "James John Robert Michael David William Richard Joseph Thomas Christopher Daniel Paul Mark "
    "Steven Andrew Kevin Brian George Edward Ronald Anthony Jason Matthew Gary Timothy Jose Ryan "
    "Jacob Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory "
    "Alexander Patrick Frank Raymond Jack Dennis Jerry Tyler Aaron Adam Henry Nathan Peter "
    "Zachary Kyle Walter Harold Jeremy Ethan Carl Keith Roger Gerald Christian Terry Sean Arthur "
    "Austin Noah Lawrence Jesse Joe Bryan Billy Jordan Albert Dylan Bruce Willie Gabriel Alan "
    "Juan Logan Wayne Ralph Roy Eugene Randy Vincent Russell Louis Philip Bobby Johnny Bradley "
    "Mohammed Callum Connor Liam Kieran Declan Reece Jamal Tariq Imran Kwame Dwayne Lee Craig"
).split()

FEMALE_FORENAMES = (
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty "
    "Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah "
    "Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma "
    "Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather "
    "Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith "
    "Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn "
    "Janice Jean Abigail Alice Julia Judy Sophia Grace Denise Amber Doris Marilyn Danielle "
    "Beverly Chloe Jade Leanne Kerry Tracey Aisha Fatima Siobhan Niamh Bethany Shannon Zoe "
    "Courtney Kayleigh"
).split()

SURNAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen "
    "James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook "
    "Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson "
    "Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali "
    "Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell "
    "Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur "
    "Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks "
    "West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball Burton OBrien Watts Rose Booth "
    "Perry Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster "
    "Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland "
    "Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Shah "
    "Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross "
    "Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson Robson "
    "Curtis Hopkins OConnor Harper Coleman Watkins Moss McCarthy Chambers ODonnell Griffin Sharp "
    "Hardy Wheeler Potter Osborne"
).split()

FORENAME_VARIANTS = {
    "Mohammed": "Muhammad",
    "John": "Jon",
    "Stephen": "Steven",
    "Steven": "Stephen",
    "Catherine": "Katherine",
    "Katherine": "Kathryn",
    "Sean": "Shaun",
    "Philip": "Phillip",
    "Jeffrey": "Geoffrey",
    "Sara": "Sarah",
    "Sarah": "Sara",
    "Zoe": "Zoey",
    "Kayleigh": "Kayley",
    "Tracey": "Tracy",
    "Leanne": "Lianne",
    "Niamh": "Neve",
    "Aisha": "Ayesha",
}

SURNAME_VARIANTS = {
    "Smith": "Smyth",
    "Thompson": "Thomson",
    "McDonald": "MacDonald",
    "OBrien": "O'Brien",
    "OConnor": "O'Connor",
    "ODonnell": "O'Donnell",
    "Davies": "Davis",
    "Clarke": "Clark",
    "Hussain": "Hussein",
    "Nicholls": "Nichols",
    "Stewart": "Stuart",
}


def spelling_variant(name: str, variants: dict[str, str]) -> str:
    """Another plausible spelling of a name: a known variant, else a doubled or dropped letter."""
    if name in variants:
        return variants[name]
    if len(name) > 4 and name[-1] == name[-2]:
        return name[:-1]
    if name.endswith("e"):
        return name[:-1]
    return name + name[-1] if name[-1] in "lnrt" else name + "e"


# ---- Welsh names, double-barrelled surnames and typing errors --------------------------------
WELSH_MALE_FORENAMES = "Llŷr Siôn Dafydd Gruffydd Iolo Rhodri Emyr Dewi Aneurin Ioan Gwilym".split()
WELSH_FEMALE_FORENAMES = "Siân Gwenllïan Eluned Ffion Angharad Rhiannon Catrin Lowri Mair".split()
WELSH_SURNAMES = (
    "ap Gwilym",
    "ap Llywelyn",
    "ap Dafydd",
    "ferch Rhys",
    "ferch Dafydd",
    "Llywelyn",
    "Gruffudd",
    "Prys",
    "Huws",
    "Puw",
    "Gwyn",
)
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
TYPING_ERRORS = ("swapped", "dropped", "doubled", "neighbouring key")


def without_diacritics(name: str) -> str:
    """The name as an ASCII-only system stores it: ``Llŷr`` -> ``Llyr``, ``Siân`` -> ``Sian``."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def neighbours(letter: str) -> str:
    """The letters beside ``letter`` on a QWERTY keyboard (same row), in its case."""
    lower = letter.lower()
    for row in KEYBOARD_ROWS:
        if lower in row:
            at = row.index(lower)
            near = row[max(at - 1, 0) : at] + row[at + 1 : at + 2]
            return near.upper() if letter.isupper() else near
    return ""


def typing_error(name: str, error: str, rng: random.Random) -> str:
    """``name`` with one typing ``error`` (one of :data:`TYPING_ERRORS`) at a random letter after
    the first; a name too short for it comes back unchanged."""
    letters = [i for i in range(1, len(name)) if name[i].isalpha()]
    if not letters:
        return name
    at = rng.choice(letters)
    if error == "swapped":
        pairs = [i for i in letters if i + 1 < len(name) and name[i + 1] != name[i]]
        if not pairs:
            return name
        at = rng.choice(pairs)
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    if error == "dropped":
        return name[:at] + name[at + 1 :] if len(name) > 2 else name
    if error == "doubled":
        return name[: at + 1] + name[at:]
    near = neighbours(name[at])
    return name[:at] + rng.choice(near) + name[at + 1 :] if near else name
