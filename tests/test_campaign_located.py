"""Located errors from a campaign's profiles and chance probabilities, and from profile values.

A misspelt value in a profile the campaign names under ``[campaign.profiles]``
is refused as the command line's profile is; a chance probability that is
wrong in one state of the campaign is reported where it is written (the
campaign file's ``stages.NAME.chance`` or the stage game's node), with the
instance and state it fails in; a profile value that names no parameter
carries the line of its table, also when ``validate`` is given the profile
alone. The campaign is the hand-checked two-stage one of
tests/data/campaigns (see tests/test_campaign.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import invoke, line_of

from policy.campaign import CampaignError
from policy.leaders import LeaderError, load_leader, resolve
from policy.loading import load

DATA = Path(__file__).resolve().parent / "data" / "campaigns"
TWO_STAGE = DATA / "two_stage.toml"

#: A game beside the profiles that declares a parameter no stage has.
OTHER_GAME = """[game]
title = "Elsewhere"
players = ["A"]

[parameters.elsewhere]
default = 1

[nodes.start]
payoffs = { A = "elsewhere" }
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A copy of the two-stage campaign (campaign.toml), its stage games and profiles."""
    for name in ("coup.toml", "crisis.toml"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copytree(DATA / "leaders", tmp_path / "leaders")
    shutil.copy(TWO_STAGE, tmp_path / "campaign.toml")
    return tmp_path


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def one_error(*args: str) -> str:
    """The one line a failing command prints (exit code 1, nothing on stdout)."""
    code, out, err = invoke(*args)
    assert code == 1 and out == "", (code, out, err)
    assert err.count("\n") == 1, err
    assert err.startswith("Error: ")
    return err.strip()[len("Error: "):]


# ---------------------------------------------------------------------------------
# Finding 2: the campaign's own profiles
# ---------------------------------------------------------------------------------
def test_misspelt_value_in_a_campaign_profile_is_refused_at_its_line(folder: Path) -> None:
    beta = folder / "leaders" / "beta.toml"
    text = edit(beta, "[values.strength]", "[values.strenght]")
    campaign = folder / "campaign.toml"
    with pytest.raises(CampaignError) as info:
        load(campaign)
    err = info.value
    assert err.file == str(folder / "leaders" / "beta.toml")
    assert err.path == "values.strenght" and err.line == line_of(text, "[values.strenght]")
    assert "names no parameter of 'Coup, France, crisis' (campaign.profiles.beta in " in err.message
    assert err.message.endswith("; did you mean strength?")
    expected = f"{beta}:{err.line}: values.strenght: "
    for args in (("validate", str(campaign)), ("validate", str(campaign), "-l", str(DATA / "leaders" / "alpha.toml")),
                 ("solve", str(campaign), "--method", "spe")):
        assert one_error(*args).startswith(expected), args


def test_the_campaign_profile_path_is_shown_as_the_campaign_writes_it(folder: Path, monkeypatch) -> None:
    edit(folder / "leaders" / "beta.toml", "[values.strength]", "[values.strenght]")
    monkeypatch.chdir(folder)
    assert one_error("validate", "campaign.toml").startswith("leaders/beta.toml:5: values.strenght: ")


def test_misspelt_value_in_a_file_a_campaign_profile_includes(folder: Path) -> None:
    (folder / "leaders" / "world.toml").write_text(
        '[shared]\n\n[values.p_fal]\nvalue = "1/2"\nnote = "judgement: a test value"\n', encoding="utf-8"
    )
    edit(folder / "leaders" / "beta.toml", "[leader]", 'include = ["world.toml"]\n\n[leader]')
    message = one_error("validate", str(folder / "campaign.toml"))
    assert message.startswith(f"{folder / 'leaders' / 'world.toml'}:3: values.p_fal: names no parameter")
    assert message.endswith("did you mean p_fall?")


def test_a_campaign_profile_value_for_a_game_beside_it_is_accepted(folder: Path) -> None:
    """A profile may span games: a name a game beside it declares is no misspelling."""
    edit(folder / "leaders" / "beta.toml", "[values.strength]",
         '[values.elsewhere]\nvalue = 2\nnote = "judgement: a test value"\n\n[values.strength]')
    assert "values.elsewhere: names no parameter" in one_error("validate", str(folder / "campaign.toml"))
    (folder / "other.toml").write_text(OTHER_GAME, encoding="utf-8")
    code, out, err = invoke("validate", str(folder / "campaign.toml"))
    assert code == 0, err
    assert out.startswith(f"ok {folder / 'campaign.toml'}: 'Coup, France, crisis'")


def test_campaign_profile_values_change_the_answer_when_spelt_right(folder: Path) -> None:
    """The value refused above is not dead weight: spelt right, it is beta__strength's default."""
    game = load(folder / "campaign.toml")
    assert game.parameters["beta__strength"].default == load_leader(DATA / "leaders" / "beta.toml").values[
        "strength"].value


# ---------------------------------------------------------------------------------
# Finding 7: chance probabilities that are wrong in some state
# ---------------------------------------------------------------------------------
def test_chance_stage_sum_wrong_in_one_state_is_located_in_the_campaign_file(folder: Path) -> None:
    # 1 - p_fall instead of 1 - p_fall * army: right while army = 1, wrong after a lost coup.
    campaign = folder / "campaign.toml"
    text = edit(campaign, 'holds = "1 - p_fall * army"', 'holds = "1 - p_fall"')
    message = one_error("validate", str(campaign))
    line = line_of(text, 'holds = "1 - p_fall"')
    assert message == (
        f"{campaign}:{line}: stages.france.chance: probabilities sum to 3/4, not 1, "
        "at france-3 (played after coup: lost, in state army = 1/2)"
    )
    assert one_error("solve", str(campaign), "--float").startswith(f"{campaign}:{line}: stages.france.chance: ")


def test_chance_probability_out_of_range_under_set_is_located_with_its_state(folder: Path) -> None:
    campaign = folder / "campaign.toml"
    text = edit(campaign, 'chance = { falls = "p_fall * army", holds = "1 - p_fall * army" }',
                'chance = { falls = "p_fall * (2 - army)", holds = "1 - p_fall * (2 - army)" }')
    code, _, err = invoke("validate", str(campaign))
    assert code == 0, err  # right at the default p_fall = 1/2
    line = line_of(text, "chance = {")
    for mode, shown in (("--exact", "3/2"), ("--float", "1.5")):
        message = one_error("solve", str(campaign), "--set", "p_fall=1", mode)
        assert message == (
            f"{campaign}:{line}: stages.france.chance.falls: probability of 'falls' is {shown}, outside [0, 1], "
            "at france-3 (played after coup: lost, in state army = 1/2)"
        )


@pytest.mark.parametrize(("chance", "key", "says"), [
    ('chance = { falls = "army / 2", holds = "1/2" }', "stages.france.chance", "probabilities sum to 3/4, not 1"),
    ('chance = { falls = "1 / (2*army*army)", holds = "1 - 1 / (2*army*army)" }', "stages.france.chance.falls",
     "probability of 'falls' is 2, outside [0, 1]"),
], ids=["sum", "range"])
def test_chance_stage_of_numbers_wrong_in_one_state(folder: Path, chance: str, key: str, says: str) -> None:
    """Probabilities that are numbers in each state are checked as the splice reaches the state."""
    campaign = folder / "campaign.toml"
    text = edit(campaign, 'chance = { falls = "p_fall * army", holds = "1 - p_fall * army" }', chance)
    with pytest.raises(CampaignError) as info:
        load(campaign)
    assert str(info.value) == (
        f"{campaign}:{line_of(text, 'chance = {')}: {key}: {says}, "
        "at france-3 (played after coup: lost, in state army = 1/2)"
    )


def test_chance_node_of_a_stage_game_is_located_in_the_stage_file(folder: Path) -> None:
    # The coup's chance node takes a probability bound by the campaign; past 1 at the default.
    campaign = folder / "campaign.toml"
    edit(campaign, 'game = "coup.toml"\n', 'game = "coup.toml"\nparameters = { p_win = "p_win + 1/2" }\n')
    coup = (folder / "coup.toml").read_text(encoding="utf-8")
    message = one_error("validate", str(campaign))
    assert message == (
        f"{folder / 'coup.toml'}:{line_of(coup, 'probabilities = {')}: nodes.draw.probabilities.win: "
        "probability of 'win' is 5/4, outside [0, 1], at coup (played first, in the initial state)"
    )


def test_a_plain_game_keeps_its_own_chance_messages(tmp_path: Path) -> None:
    coup = tmp_path / "coup.toml"
    text = (DATA / "coup.toml").read_text(encoding="utf-8")
    coup.write_text(text, encoding="utf-8")
    code, _, err = invoke("solve", str(coup), "--set", "p_win=2")
    assert code == 1
    assert err.splitlines()[-1] == (
        f"Error: {coup}:{line_of(text, 'probabilities = {')}: nodes.draw.probabilities.win: "
        "probability of 'win' is 2, outside [0, 1]"
    )


# ---------------------------------------------------------------------------------
# Finding 7 and 8f: a profile value that names no parameter
# ---------------------------------------------------------------------------------
PROFILE = """[leader]
name = "Hero"

[values.p_win]
value = "1/2"
note = "judgement: a guess"

[values.p_wni]
value = "1/2"
note = "judgement: a guess"
"""


def test_misspelt_profile_value_has_its_line(tmp_path: Path) -> None:
    shutil.copy(DATA / "coup.toml", tmp_path / "coup.toml")
    profile = tmp_path / "hero.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    with pytest.raises(LeaderError) as info:
        resolve(load(tmp_path / "coup.toml"), load_leader(profile))
    line = line_of(PROFILE, "[values.p_wni]")
    assert str(info.value) == (
        f"{profile}:{line}: values.p_wni: names no parameter of 'A coup' or of the games beside the profile; "
        "did you mean p_win?"
    )
    assert one_error("solve", str(tmp_path / "coup.toml"), "-l", str(profile)) == str(info.value)


def test_validate_checks_a_profile_alone_against_the_games_beside_it(tmp_path: Path) -> None:
    (tmp_path / "leaders").mkdir()
    profile = tmp_path / "leaders" / "hero.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    # No game beside it: the names cannot be checked, and the summary says so.
    code, out, err = invoke("validate", str(profile))
    assert code == 0, err
    assert out == (f"ok {profile}: leader 'Hero': 2 values, each sourced; names not checked "
                   "(no game named with it or beside it declares parameters)\n")
    # A game named in the same command is what it is checked against.
    code, out, err = invoke("validate", str(profile), str(DATA / "coup.toml"))
    assert code == 1 and out.startswith(f"ok {DATA / 'coup.toml'}: 'A coup'") and err.count("\n") == 1
    message = err.strip().removeprefix("Error: ")
    assert message.startswith(f"{profile}:{line_of(PROFILE, '[values.p_wni]')}: values.p_wni: names no parameter")
    assert message.endswith("did you mean p_win?")
    # So is a game in the folder above, as when a game uses the profile.
    shutil.copy(DATA / "coup.toml", tmp_path / "coup.toml")
    assert one_error("validate", str(profile)) == message
    profile.write_text(PROFILE.replace("[values.p_wni]", "[values.p_lose]"), encoding="utf-8")
    assert one_error("validate", str(profile)).endswith("values.p_lose: names no parameter of the games named "
                                                       "with it or beside it")
    profile.write_text(PROFILE.split("[values.p_wni]")[0], encoding="utf-8")
    code, out, err = invoke("validate", str(profile))
    assert code == 0 and out == f"ok {profile}: leader 'Hero': 1 value, each sourced\n", err


def test_validate_a_profile_named_with_a_campaign_knows_its_stages_names(tmp_path: Path) -> None:
    """A profile named with a campaign is checked against the parameters its stages declare."""
    alone = tmp_path / "a" / "b" / "beta.toml"  # no game beside it
    alone.parent.mkdir(parents=True)
    alone.write_text((DATA / "leaders" / "beta.toml").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = invoke("validate", str(alone))
    assert code == 0 and "names not checked" in out, err
    code, out, err = invoke("validate", str(alone), str(TWO_STAGE))
    assert code == 0, err
    assert out.startswith(f"ok {alone}: leader 'Beta': 1 value, each sourced\n")


def test_a_folder_named_like_a_game_beside_a_profile_is_passed_over(tmp_path: Path) -> None:
    shutil.copy(DATA / "coup.toml", tmp_path / "coup.toml")
    (tmp_path / "dir.toml").mkdir()
    profile = tmp_path / "hero.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    assert "values.p_wni: names no parameter" in one_error("solve", str(tmp_path / "coup.toml"), "-l", str(profile))
