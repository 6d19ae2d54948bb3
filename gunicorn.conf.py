"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app`` (README, "Production").

gunicorn's workers (sync or gthread alike) each wait for a request to arrive in full, so as many half-sent
requests as there are workers stall the site (slowloris). Rapport therefore listens on 127.0.0.1 only, behind
nginx (``deploy/nginx/rapport.conf``), which reads every request whole, with short timeouts, before it passes
it on, and takes each response at once to feed it to slow readers itself. Behind that, plain sync workers are the
best fit: one request per process, no threads, a crash or a timeout costs one request.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # never a public address: nginx is in front
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30  # a request nginx handed over whole still running after this is killed
graceful_timeout = 30
preload_app = True  # create_app() connects to nothing, so workers can share the loaded code (and start at once)
# X-Forwarded-Proto is believed from these peers only (nginx on this host); Rapport's LMS_PROXY_FIX and
# LMS_TRUSTED_PROXIES decide the same for the client address and host.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
errorlog = "-"
