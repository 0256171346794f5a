"""Shared helpers every app builds on: errors, jobs, REST and page glue, the rate limit,
the socket base class and the channel layer. Imports no app of Mina."""
