"""The ``policy fit`` command (registered in :mod:`policy.cli`)."""

from __future__ import annotations

import json

import click


@click.command("fit")
@click.argument("game", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--spec", "-s", "spec_file", type=click.Path(dir_okay=False),
              help="The fit spec (TOML): which payoffs are estimated from which covariates "
              "(default: the game file's [fit] table).")
@click.option("--link", type=click.Choice(["probit", "logit"]), help="Override the spec's link.")
@click.option("--errors", type=click.Choice(["agent", "private"]), help="Override the spec's error structure.")
@click.option("--bootstrap", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also estimate standard errors from this many case-resampling replicates.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--predict", "predict_file", type=click.Path(dir_okay=False),
              help="Print each terminal's fitted probability for the rows of this CSV file "
              "(as CSV, or as JSON with --format json) instead of the coefficients.")
@click.option("--profile", "profile_name", metavar="COEF",
              help="Also draw the profile log-likelihood of this coefficient (with --plot).")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
              help="Where --profile draws its plot (.png or .svg).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def fit_command(game: str, data: str, spec_file: str | None, link: str | None, errors: str | None,
                bootstrap: int, seed: int, predict_file: str | None, profile_name: str | None,
                plot_file: str | None, fmt: str) -> None:
    """Estimate a game's payoffs from observed outcomes (Signorino's strategic probit/logit).

    DATA is a CSV file, one row per observed case; the spec names the outcome
    column (or one column per decision node) and, for each estimated payoff,
    its covariates; it is the game file's [fit] table unless --spec names a
    separate file. See docs/estimation.md.

    Example: policy fit games/fit/egame12.toml ../shared/data/war1800.csv --spec games/fit/war1800.toml
    """
    import dataclasses

    from policy.errors import user_errors
    from policy.fit import fit, load_spec, read_csv, summary_dict
    from policy.fit.report import fit_table, predictions_csv, predictions_dict
    from policy.loading import load

    if (profile_name is None) != (plot_file is None):
        raise click.UsageError("--profile and --plot go together")
    try:
        if plot_file is not None:
            from policy.render.plot import plot_format

            plot_format(plot_file)  # a bad suffix is reported before the fit
        from policy.api import bundled_file

        # The bundled examples (games/fit/...) are found from any folder, as games are.
        game = str(bundled_file(game))
        the_game = load(game)
        spec = load_spec(bundled_file(spec_file) if spec_file is not None else game)
        if link or errors:
            _check_override(spec, link, errors)
            spec = dataclasses.replace(spec, link=link or spec.link, errors=errors or spec.errors)
        table = read_csv(data)
        new_rows = read_csv(predict_file) if predict_file else None
        result = fit(the_game, spec, table, bootstrap=bootstrap, seed=seed)
        if new_rows is not None:
            names, probs, rows = result.predict_rows(new_rows)
            if fmt == "json":
                click.echo(json.dumps(predictions_dict(names, probs, rows, new_rows.lines),
                                      indent=2))
            else:
                click.echo(predictions_csv(names, probs), nl=False)
            return
        if profile_name is not None and plot_file is not None:
            from policy.fit.profile import plot_profile, profile

            plot_profile(profile(result, profile_name), plot_file)
            click.echo(f"wrote {plot_file}", err=True)
    except user_errors() as err:  # FitError among them
        raise click.ClickException(" ".join(str(err).split())) from None
    if result.boot_warning and fmt == "json":  # the table prints it itself
        click.echo(f"Warning: {result.boot_warning}", err=True)
    if fmt == "json":
        click.echo(json.dumps(summary_dict(result), indent=2))
    else:
        click.echo(fit_table(result))


def _check_override(spec: object, link: str | None, errors: str | None) -> None:
    """Refuse a logit link with private errors when an option asks for either,
    naming the option (and the spec's line for what the spec gave)."""
    from policy.fit.spec import FitSpec, _with_line

    assert isinstance(spec, FitSpec)
    if (link or spec.link) != "logit" or (errors or spec.errors) != "private":
        return

    def said(option: str, given: str | None, key: str, value: str) -> str:
        if given is not None:
            return f"{option} {given}"
        return f'{_with_line(spec.file, f"fit.{key}") if spec.file else "the spec"}: {key} = "{value}"'

    raise click.ClickException(
        f"{said('--link', link, 'link', spec.link)} with {said('--errors', errors, 'errors', spec.errors)}: "
        "private information needs the probit link (sums of logistic errors have no closed form)")
