"""Public audits: the audit fold (pure), its report and digest, charts, and the audit cycle."""
