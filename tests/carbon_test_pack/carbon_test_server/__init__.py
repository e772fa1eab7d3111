"""The server of the Carbon test pack: a test double of a WSO2 Carbon 4.4 server.

It reads the pack's Carbon configuration, serves HTTP and HTTPS on the configured ports, joins
the well-known members of its cluster domain and checks its MySQL datasources. Run it with
bin/wso2server.sh of a pack built by make_pack.py.
"""
