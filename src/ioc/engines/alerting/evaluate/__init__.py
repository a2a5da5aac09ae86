"""One evaluation cycle: every due rule, all of them at once.

The cost of a cycle is a handful of queries whatever the number of rules: the series of every
indicator the due rules name are read in one query (latest values come from ``series``), each
distinct window of hourly/daily rollups in one grouped query, then every rule is decided in
memory. Instances are stored only while they are not Normal and written only on transitions,
so a quiet province with 10 000 rules writes little more than the rules' ``last_eval_at``.

Kinds of rule (``rules.py`` validates their parameters):

* ``threshold`` — latest value (or the ``agg`` of the hourly rollups over ``window_s``)
  compared with ``op threshold``; a latest value older than ``max_age_s`` counts as no data;
* ``nodata`` — the series (or, with ``entity_type`` alone, the entity's newest series) has
  not reported for ``max_age_s``; the value is the silence in minutes;
* ``rate`` — change between the last complete hour and the hour ``window_s`` before it
  (``mode: delta`` in units, ``percent`` in %), compared with ``op threshold``;
* ``anomaly`` — EARS C1/C2/C3 over hourly, daily or weekly (Monday–Sunday, local) sums or
  means, last complete bucket,
  breached when the statistic ≥ ``threshold`` (CDC defaults 3/3/2, ``min_sigma`` floor);
* ``record`` — a pack's record source (``query.source``): each record it returns is an
  instance, breached when its value passes ``op threshold`` (or always without ``op``);
  records no longer returned are simply no longer breached.
"""

from __future__ import annotations

from ioc.engines.alerting.evaluate.cycle import due_rules, evaluate_due
from ioc.engines.alerting.evaluate.evaluator import Evaluator
from ioc.engines.alerting.evaluate.inputs import (
    DAY,
    DEFAULT_MAX_AGE_S,
    HOUR,
    VN_OFFSET,
    WEEK,
    CycleStats,
    RuleView,
    Sample,
    fingerprint,
)

__all__ = [
    "DAY",
    "DEFAULT_MAX_AGE_S",
    "HOUR",
    "VN_OFFSET",
    "WEEK",
    "CycleStats",
    "Evaluator",
    "RuleView",
    "Sample",
    "due_rules",
    "evaluate_due",
    "fingerprint",
]
