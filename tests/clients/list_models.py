# The public "List Custom Models" page's Python example (requests), copied unchanged except for
# the base URL and the API key, which come from the environment:
#   CUSTOMMODELS_BASE_URL  the service root, e.g. http://127.0.0.1:8080 (in place of https://api.scriptix.io)
#   CUSTOMMODELS_API_KEY   an API key with custom_models:read (in place of YOUR_API_KEY)
# Run: python3 tests/clients/list_models.py
import os

BASE_URL = os.environ["CUSTOMMODELS_BASE_URL"].rstrip("/")
API_KEY = os.environ["CUSTOMMODELS_API_KEY"]

# --- the example, as published ---
import requests
url = f"{BASE_URL}/api/v3/custom_models"
headers = {"Authorization": f"Bearer {API_KEY}"}
# List all models with pagination
page = 1
all_models = []
while True:
    response = requests.get(
        url,
        headers=headers,
        params={"page": page, "per_page": 100}
    )
    data = response.json()
    all_models.extend(data['result'])
    # Check if more pages exist
    if len(data['result']) < 100:
        break
    page += 1
print(f"Total models: {len(all_models)}")
# Filter completed models
completed = [m for m in all_models if m['training_status'] == 4]
print(f"Completed models: {len(completed)}")

# --- added for the test (not part of the example): how many distinct models were fetched ---
print(f"Distinct models: {len({m['id'] for m in all_models})}")
