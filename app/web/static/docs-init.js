// Starts Swagger UI on /docs (ENVIRONMENT=local only): the bundle comes from this server, and this file
// replaces the inline bootstrap script FastAPI's page would need (the CSP forbids inline scripts).
window.ui = window.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
