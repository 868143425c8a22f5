// The public "List Custom Models" page's JavaScript example (axios), copied unchanged except for
// the base URL and the API key, which come from the environment:
//   CUSTOMMODELS_BASE_URL  the service root, e.g. http://127.0.0.1:8080 (in place of https://api.scriptix.io)
//   CUSTOMMODELS_API_KEY   an API key with custom_models:read (in place of YOUR_API_KEY)
// Run: (cd tests/clients && npm ci) once, then node tests/clients/list_models.js
const BASE_URL = process.env.CUSTOMMODELS_BASE_URL.replace(/\/+$/, '');
const API_KEY = process.env.CUSTOMMODELS_API_KEY;

// --- the example, as published ---
const axios = require('axios');
const listModels = async (filters = {}) => {
  const response = await axios.get(
    `${BASE_URL}/api/v3/custom_models`,
    {
      headers: { 'Authorization': `Bearer ${API_KEY}` },
      params: {
        page: filters.page || 1,
        per_page: filters.per_page || 25,
        status: filters.status,
        language: filters.language
      }
    }
  );
  return response.data;
};
// List all English medical models
listModels({ language: 'en', base_model: 'medical' })
  .then(data => {
    console.log(`Found ${data.total_results} models`);
    data.result.forEach(model => {
      console.log(`${model.name} - Status: ${model.status_message}`);
    });
  });
