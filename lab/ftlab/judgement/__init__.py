"""Judgement: signals read against the GIL lane, verdicts, the decision, upgrade gates, payoff, diff."""
