"""Settings, errors, HTTP plumbing, staff auth, secrets and mail shared by every handler."""
