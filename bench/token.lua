-- wrk script: POST a form with HTTP Basic client credentials.
-- Environment: AUTH (base64 of client_id:client_secret), BODY (the form).
wrk.method = "POST"
wrk.body = os.getenv("BODY") or "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("AUTH")
