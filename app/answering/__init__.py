"""The answer of a turn: grounded generation, attribution, citing, the semantic answer cache."""
