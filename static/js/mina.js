// Mina's page behaviour lives here (no inline scripts: the CSP forbids them).
