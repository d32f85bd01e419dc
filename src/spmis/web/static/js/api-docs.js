// Starts Swagger UI (static/vendor/swagger-ui-bundle.js, pinned by assets/package.json) on the
// API description of this server. Kept out of the page so its CSP needs no inline script.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
