"""12345 work orders (接诉即办): read the platform's export, file one task per order through the
desk, and report back per order number (issue 16)."""
