"""Pure rules of budgetguard: periods, money, thresholds, notification content. Stdlib only."""
