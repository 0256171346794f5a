"""The admin's index links the operations page (mina/ops_views.py)."""

from django.contrib import admin

admin.site.index_template = "mina/admin_index.html"
