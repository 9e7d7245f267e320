"""Migration scripts, applied in revision order by `soc.cases.schema.upgrade`."""
