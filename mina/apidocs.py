"""/api/docs/: Swagger UI from drf-spectacular's sidecar (local files, no CDN)."""

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    """The start-up script is served as a separate file (`?script`) and the template has
    no inline style, so the page runs under the content security policy."""

    template_name = "mina/swagger_ui.html"
