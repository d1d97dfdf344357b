"""Analysis of a round: opinion groups, consensus and division, representativeness (step 9)."""
