"""The faces: every page, script and style the browser loads, served by the app (no CDN, no build step).

```
web/
  pages.py        render(name, **context) -> HTMLResponse with the security headers; asset lookup
  templates/      base.html (the shared page shell), staff.html (the staff pages' top bar, sign-in and
                  dialog, on base.html), demo.html, home.html
  static/         the shared kit: kit.css (design tokens, components), kit.js (ES module: h(), api(),
                  sse(), i18n), staff.js (staff.html's sign-in/out), logo.svg  -> /static/kit/<file>
  widget/         widget.js (served as /widget.js) and widget.css (Shadow DOM) -> /static/widget/<file>
  console/        the agent console (console.html, console.js, console.css)  -> /static/console/<file>
  admin/          the admin console (its own pages and scripts)              -> /static/admin/<file>
```

A page template ``extends "base.html"`` and fills ``main`` (the two staff consoles extend ``staff.html``
and fill ``app_view``); scripts are files (``script-src 'self'``, no inline JS), and every text that comes
from a model, the knowledge base or a user is set with ``textContent`` (``kit.js``'s ``h()`` never parses
HTML).
"""
