"""IP ranges a team imports so a website visit can be traced to the company behind it."""
