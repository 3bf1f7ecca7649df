"""Platform adapters: thin layers between the core and Telegram, Discord, the terminal."""
