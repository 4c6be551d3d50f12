"""`policy explain`'s library: claims gathered from three places, the structure read from the tree."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path

import pytest

from policy.analysis.explain import (
    catalogue_for,
    describe,
    explain,
    select_claims,
    split_description,
    structure,
)
from policy.claims import ClaimsError, load_claims
from policy.gamefile import load_game
from policy.leaders import Leader, load_leader
from policy.loading import load
from policy.render.data import explanation_data
from policy.render.text import explain_text

DATA = Path(__file__).resolve().parent / "data"

# A catalogue of its own: the accepted, contested and wrong cases, and claims
# found only through bears_on (army-small) or only through a leader (hawk-claim).
CLAIMS = """\
[claims.shape]
kind = "thread"
post = 1
author = "someone"
summary = "The crisis is a choice to mobilise, then a German guess."
status = "accepted"
bears_on = ["crisis.structure"]

[claims.army-size]
kind = "external"
source = "A. Historian, The Army (Press, 2000), p. 1"
summary = "The army was strong about half the time."
status = "accepted"
bears_on = ["crisis.p_strong"]

[claims.army-small]
kind = "thread"
post = 2
summary = "The army was tiny."
status = "wrong"
why = "Counts from the archives are three times larger (army-size)."
bears_on = ["crisis.p_strong"]

[claims.hawk-claim]
kind = "thread"
post = 3
summary = "A war won would be worth a great deal."
status = "contested"
why = "Post 4 doubts it."
bears_on = ["crisis.gain"]

[claims.elsewhere]
kind = "thread"
post = 5
summary = "About another game."
status = "accepted"
bears_on = ["other_game.x"]
"""

GAME = """\
[game]
title = "A border crisis"
players = ["USSR", "Germany"]
claims = "claims.toml"
sources = ["shape"]
description = \"\"\"
Chance decides whether the army is strong; the USSR, knowing it, mobilises or \
stays quiet; Germany sees that but not the army, and attacks or waits.

Left out: everyone else, and time.\"\"\"

[parameters.p_strong]
description = "Chance that the army is strong"
default = 0.5
range = [0, 1]
sources = ["army-size"]

[parameters.gain]
description = "What a war won is worth"
range = [0, 3]

[parameters.spare]
description = "Declared but used nowhere"
default = 1

[nodes.army]
chance = true
actions = { strong = "s", weak = "w" }
probabilities = { strong = "p_strong", weak = "1 - p_strong" }

[nodes.s]
player = "USSR"
actions = { mobilise = "s_mob", stay = "s_stay" }

[nodes.w]
player = "USSR"
actions = { mobilise = "w_mob", stay = "w_stay" }

[nodes.s_mob]
player = "Germany"
infoset = "seen_mobilising"
actions = { attack = "s_mob_war", wait = "s_mob_peace" }

[nodes.w_mob]
player = "Germany"
infoset = "seen_mobilising"
actions = { attack = "w_mob_war", wait = "w_mob_peace" }

[nodes.s_stay]
player = "Germany"
infoset = "seen_quiet"
actions = { attack = "s_stay_war", wait = "s_stay_peace" }

[nodes.w_stay]
player = "Germany"
infoset = "seen_quiet"
actions = { attack = "w_stay_war", wait = "w_stay_peace" }

[nodes.s_mob_war]
payoffs = { USSR = "gain - 1/10", Germany = -1 }
facts = { war = "yes" }

[nodes.s_mob_peace]
payoffs = { USSR = "-1/10", Germany = 0 }
facts = { war = "no" }

[nodes.w_mob_war]
payoffs = { USSR = "-11/10", Germany = 1 }
facts = { war = "yes" }

[nodes.w_mob_peace]
payoffs = { USSR = "-1/10", Germany = 0 }
facts = { war = "no" }

[nodes.s_stay_war]
payoffs = { USSR = "gain", Germany = -1 }
facts = { war = "yes" }

[nodes.s_stay_peace]
payoffs = { USSR = 0, Germany = 0 }
facts = { war = "no" }

[nodes.w_stay_war]
payoffs = { USSR = -1, Germany = 1 }
facts = { war = "yes" }

[nodes.w_stay_peace]
payoffs = { USSR = 0, Germany = 0 }
facts = { war = "no" }
"""

HAWK = """\
[leader]
name = "A Hawk"
description = "Bold."
sources = ["shape"]

[values.p_strong]
value = 0.75
range = [0.5, 0.9]
sources = ["army-size"]
note = "judgement: confident in the army"

[values.gain]
value = 2
sources = ["hawk-claim"]
"""

DOVE = """\
[leader]
name = "A Dove"

[values.gain]
value = "1/2"
note = "judgement: careful"
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "claims.toml").write_text(CLAIMS)
    (tmp_path / "crisis.toml").write_text(GAME)
    (tmp_path / "hawk.toml").write_text(HAWK)
    (tmp_path / "dove.toml").write_text(DOVE)
    return tmp_path


def explained(files: Path, *leaders: str):
    path = files / "crisis.toml"
    return explain(load_game(path), path, [_cites_unknown(load_leader(files / f"{n}.toml")) for n in leaders])


def _cites_unknown(leader: Leader) -> Leader:
    """The hawk also cites an id the game's catalogue lacks, as a profile built in code
    (or one that cites from a catalogue of its own) may: explain marks it."""
    if leader.key != "hawk":
        return leader
    gain = leader.values["gain"]
    values = {**leader.values, "gain": dataclasses.replace(gain, sources=(*gain.sources, "not-a-claim"))}
    return dataclasses.replace(leader, values=values)


def by_name(e, name: str):
    return next(p for p in e.parameters if p.name == name)


def test_the_games_own_catalogue_is_used(files: Path) -> None:
    assert catalogue_for(files / "crisis.toml") == files / "claims.toml"
    assert catalogue_for(DATA / "bayes.efg") is None


def test_claims_come_from_the_parameter_the_leaders_and_bears_on(files: Path) -> None:
    e = explained(files, "hawk", "dove")
    p_strong = by_name(e, "p_strong")
    assert [(c.id, c.cited_by) for c in p_strong.claims] == [
        ("army-size", ("parameter", "hawk", "bears_on")),
        ("army-small", ("bears_on",)),
    ]
    gain = by_name(e, "gain")
    assert [c.id for c in gain.claims] == ["hawk-claim", "not-a-claim"]
    assert gain.claims[0].disputed and gain.claims[0].claim.status == "contested"
    assert gain.claims[1].claim is None  # cited by the profile, not in the catalogue
    assert [c.id for c in e.game_claims] == ["shape"]
    assert "elsewhere" not in {c.id for p in e.parameters for c in p.claims}


def test_values_say_where_they_come_from(files: Path) -> None:
    e = explained(files, "hawk", "dove")
    p_strong = by_name(e, "p_strong")
    assert [(v.leader, v.value, v.given) for v in p_strong.values] == [
        ("hawk", Fraction(3, 4), "leader"),
        ("dove", Fraction(1, 2), "default"),
    ]
    assert p_strong.values[0].note == "judgement: confident in the army"
    assert p_strong.values[0].range == (Fraction(1, 2), Fraction(9, 10))
    # gain has no default: a leader that does not set it leaves it without a value.
    e = explain(load_game(files / "crisis.toml"), files / "crisis.toml", [load_leader(files / "hawk.toml")])
    assert by_name(e, "gain").values[0].value == 2
    alone = explain(load_game(files / "crisis.toml"), files / "crisis.toml", [])
    assert by_name(alone, "gain").values == ()
    assert not by_name(alone, "spare").used and by_name(alone, "gain").used


def test_description_and_left_out_are_split() -> None:
    assert split_description("Models a thing.\n\nLeft out: the rest.") == ("Models a thing.", "the rest.")
    assert split_description("No such part.") == ("No such part.", "")
    assert split_description("A.\nleaves out: B and C") == ("A.", "B and C")


def test_structure_is_read_from_the_tree(files: Path) -> None:
    game = load_game(files / "crisis.toml")
    s = structure(game, [load_leader(files / "hawk.toml")])
    assert s.first == "chance" and s.root == "army"
    assert not s.perfect_information and s.num_several == 2
    assert s.num_terminals == 8
    [army] = s.chance
    assert army.probabilities == (("strong", "p_strong"), ("weak", "1 - p_strong"))
    assert army.values == (("hawk", (Fraction(3, 4), Fraction(1, 4))),)
    seen = next(d for d in s.decisions if d.infoset == "seen_mobilising")
    assert seen.nodes == ("s_mob", "w_mob")
    assert seen.unknown == (("chance", ("strong", "weak")),)
    assert dict(s.facts) == {"war": ("yes", "no")}


def test_structure_in_words(files: Path) -> None:
    game = load_game(files / "crisis.toml")
    lines = describe(structure(game, [load_leader(files / "hawk.toml")]), {"hawk": "A Hawk"})
    text = "\n".join(lines)
    assert "Players: USSR and Germany; chance also moves." in text
    assert "First to move: chance, at army." in text
    assert "army (at the start): strong with probability p_strong, weak with probability 1 - p_strong" in text
    assert "under A Hawk: strong 3/4, weak 1/4" in text
    assert "s (after strong): mobilise or stay" in text
    assert (
        "Germany does not know whether chance drew strong or weak: it cannot tell apart nodes "
        "s_mob and w_mob." in text
    )
    assert "Imperfect information: 2 information sets have several nodes" in text
    assert "one of 8 terminal outcomes; outcomes state war (yes, no)." in text


def test_several_parting_points_are_all_named() -> None:
    # Gambit's "General Bayes game": player 2 sees neither chance's first draw nor player 1's move.
    game = load(DATA / "bayes.efg")
    s = structure(game)
    p2 = next(d for d in s.decisions if d.infoset == "Player 2:1")
    assert p2.unknown == (("chance", ("1G", "1B")), ("Player 1", ("H", "L")))
    text = "\n".join(describe(s))
    assert "Player 2 does not know whether chance drew 1G or 1B, or whether Player 1 chose H or L" in text


def test_gambit_files_have_no_claims_and_no_parameters() -> None:
    e = explain(load(DATA / "bayes.efg"), DATA / "bayes.efg", [])
    assert e.parameters == () and e.game_claims == () and e.catalogue is None
    text = explain_text(e, width=80)
    assert "Parameters: none" in text
    assert "First to move: chance" in text


def test_text_marks_disputed_claims_with_why(files: Path) -> None:
    text = explain_text(explained(files, "hawk", "dove"), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    flat = " ".join(text.split())
    assert "army-small [WRONG]: The army was tiny." in flat
    assert "why: Counts from the archives are three times larger (army-size)." in flat
    assert "hawk-claim [CONTESTED]: A war won would be worth a great deal." in flat
    assert "army-size: The army was strong about half the time." in flat
    assert "not-a-claim [not in the catalogue]" in flat
    assert "not set by the profile: the game's default" in flat
    assert "Left out everyone else, and time." in flat
    assert "spare (used by no payoff or probability)" in flat


def test_json_has_every_part(files: Path) -> None:
    data = json.loads(json.dumps(explanation_data(explained(files, "hawk", "dove"))))
    assert data["left_out"] == "everyone else, and time."
    assert data["parameters"]["p_strong"]["values"]["hawk"]["value"] == "3/4"
    assert data["parameters"]["p_strong"]["values"]["dove"]["given"] == "default"
    wrong = data["parameters"]["p_strong"]["claims"][1]
    assert wrong["status"] == "wrong" and wrong["why"].startswith("Counts")
    assert data["structure"]["chance"][0]["values"]["hawk"] == {"strong": "3/4", "weak": "1/4"}
    assert data["structure"]["perfect_information"] is False
    assert any("does not know" in line for line in data["structure"]["summary"])


def test_select_claims_by_game_and_status(files: Path) -> None:
    claims = load_claims(files / "claims.toml")
    assert [c.id for c in select_claims(claims, status="wrong")] == ["army-small"]
    assert [c.id for c in select_claims(claims, game="other_game")] == ["elsewhere"]
    # Given as a file: bears_on by its stem, and whatever the file cites.
    picked = select_claims(claims, game=str(files / "crisis.toml"), status="accepted")
    assert [c.id for c in picked] == ["shape", "army-size"]
    with pytest.raises(ClaimsError, match="no claim bears on 'nowhere'"):
        select_claims(claims, game="nowhere")
