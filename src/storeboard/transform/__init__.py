"""L2/L3: the dbt project and the wrapper that builds it."""
