# Reference fits from the R package games 1.1.2 (Kenkel and Signorino, JSS 56(8), 2014),
# for tests/test_fit.py. Run on R 4.2.2 with games built from its CRAN sources
# (github.com/cran/games, version 1.1.2; its DESCRIPTION's stringr import dropped, used only
# by makeFormulas) and maxLik 1.5-2.1, Formula 1.2-5, MASS 7.3-59, miscTools 0.6-30.
# r_games_1.out holds the first eight fits (it ends with an error: egame122 with
# type = "private" fails in games 1.1.2 with "subscript out of bounds" in makeSDs122),
# r_games_2.out the rest at the package's default tolerance, r_games_tight.out two fits rerun
# with reltol = 1e-12. The data sets are the CSV copies in ../shared/data.
.libPaths(c("/tmp/fit_r/lib", .libPaths()))
suppressMessages(library(games))
options(digits = 10)
show <- function(label, m) {
  cat("==", label, "\n")
  cat("logLik", sum(m$log.likelihood), " N", length(m$log.likelihood), "\n")
  print(cbind(estimate = coef(m), se = sqrt(diag(m$vcov))))
}
war1800 <- read.csv("/work/shared/data/war1800.csv")
war1800$regime1 <- factor(war1800$regime1); war1800$regime2 <- factor(war1800$regime2)
f1 <- esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2
show("war probit agent", egame12(f1, data = war1800))
show("war logit agent", egame12(f1, data = war1800, link = "logit"))
show("war probit private", egame12(f1, data = war1800, type = "private"))
utils <- c(-1, 0, -1.4, 0.1)
show("war fixed utils scale", egame12(esc + war ~ 1, data = war1800, fixedUtils = utils))
show("war fixed utils scale by player",
     egame12(esc + war ~ 1, data = war1800, fixedUtils = utils, sdByPlayer = TRUE))
show("war sdformula balanc", egame12(f1, data = war1800, sdformula = ~ balanc - 1))
d122 <- read.csv("/work/shared/data/data_122.csv")
d122$f1 <- factor(d122$f1); d122$f2 <- factor(d122$f2); d122$y <- factor(d122$y)
fr1 <- y ~ x1 + x2 | x3 + f1 | 0 | x4 + x5 | z1 + z2 | z3 + f2
show("d122 probit agent", egame122(fr1, data = d122))
show("d122 logit agent", egame122(fr1, data = d122, link = "logit"))
show("d122 logit agent reltol 1e-12", egame122(fr1, data = d122, link = "logit", reltol = 1e-12))
# The package's own level order (levels(leblang2003$outcome) in its .rda file).
leb <- read.csv("/work/shared/data/leblang2003.csv")
leb$outcome <- factor(leb$outcome, levels = c("no attack", "devaluation", "defense"))
fl <- outcome ~ capcont + lreserves + overval + creditgrow + USinterest + service + contagion +
  prioratt - 1 | 1 | 1 | unifgov + lexports + preelec + postelec + rightgov + realinterest +
  capcont + lreserves
show("leblang reltol 1e-4", egame12(fl, data = leb, link = "probit", type = "private", reltol = 1e-4))
show("leblang default reltol", egame12(fl, data = leb, link = "probit", type = "private"))
show("leblang reltol 1e-12", egame12(fl, data = leb, link = "probit", type = "private", reltol = 1e-12))
