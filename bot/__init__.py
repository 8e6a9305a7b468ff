"""The Discord application: commands, job store and queue, worker and delivery."""
