"""The captive portal: a Flask app serving the public log to passers-by on the shop Wi-Fi."""
