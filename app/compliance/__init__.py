"""Bank compliance: retention policies and the purge, legal holds, data-subject requests (export and
erasure), and the widget's AI disclosure. SQL in ``app.db.crud_compliance``."""
