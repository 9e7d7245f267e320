"""Sigma rules: load, validate, compile to DuckDB SQL. The only importer of pySigma.

`load_catalog(dirs)` is what the composition root calls; `load_rules` and `compile_rules` are
its two halves for tools that want to look in between (`soc rules check`, tests), and
`validate_rules` reports style findings of pySigma's validators.
"""

from soc.rules.compiler import Catalog, CompiledRule, compile_rules, load_catalog, load_pipeline
from soc.rules.loader import RuleSet, load_rules
from soc.rules.problems import RuleProblem
from soc.rules.validation import validate_rules

__all__ = [
    "Catalog",
    "CompiledRule",
    "RuleProblem",
    "RuleSet",
    "compile_rules",
    "load_catalog",
    "load_pipeline",
    "load_rules",
    "validate_rules",
]
