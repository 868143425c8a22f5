# The public "List Custom Models" page's "Navigating Pages" Python snippet (requests), copied
# unchanged. It is a fragment: it uses `requests` and `url` from the page's Python example above
# it, so those two lines are taken from there, with the base URL from the environment:
#   CUSTOMMODELS_BASE_URL  the service root, e.g. http://127.0.0.1:8080 (in place of https://api.scriptix.io)
#   CUSTOMMODELS_API_KEY   not read: the snippet, as published, sends no Authorization header
# Run: python3 tests/clients/navigate_pages.py
import os

BASE_URL = os.environ["CUSTOMMODELS_BASE_URL"].rstrip("/")

# --- from the page's Python example ---
import requests
url = f"{BASE_URL}/api/v3/custom_models"

# --- the snippet, as published ---
# Get first page
response = requests.get(url, params={"page": 1, "per_page": 25})
data = response.json()
total_pages = (data['total_results'] + 24) // 25 # Round up
current_page = 1
print(f"Page {current_page} of {total_pages}")
print(f"Showing {data['count']} of {data['total_results']} total")
