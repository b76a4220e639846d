"""Migration operations shared by the apps."""

from django.db import migrations


class RunSQLOn(migrations.RunSQL):
    """RunSQL only on one database vendor (SQLite must migrate cleanly without pg_trgm, GIN
    or PL/pgSQL). Changes no model state, so the models' Meta stays free of these objects."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor, *args], kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"Raw SQL on {self.vendor} only"
