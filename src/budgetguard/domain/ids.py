"""The range of the ids budgetguard is given: the platform's shops (INT) and its own records
(BIGINT). An id outside it names nothing, and is refused before it reaches a database (which
would fail on it: `integer out of range`)."""

from __future__ import annotations

LARGEST_ID = 2**31 - 1  # the platform's INT ids (a shop's)
LARGEST_BIG_ID = 2**63 - 1  # budgetguard's BIGINT ids (a contact's, a delivery record's)
