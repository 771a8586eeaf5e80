"""The service desk's domain and services. Imports nothing from any chat front end."""
