"""Name pools for the population, and the spelling variants that make records dirty."""

from __future__ import annotations

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
