"""The original system's web page client: exactly its request to POST /predict.

The Streamlit page computed the 16 features of a fixture and posted them with `requests`;
this sends the same JSON and checks the answer keeps the original contract.
Usage: python3 original_client.py BASE_URL
"""
import sys

import requests

BASE = sys.argv[1].rstrip("/")

features = {
    "form_gols_feitos_mandante": 1.8,
    "form_gols_sofridos_mandante": 1.0,
    "form_pontos_mandante": 2.0,
    "form_gols_feitos_visitante": 1.2,
    "form_gols_sofridos_visitante": 1.4,
    "form_pontos_visitante": 1.2,
    "eh_classico": 1,
    "mandante_def": 4,
    "mandante_mid": 3,
    "mandante_att": 3,
    "visitante_def": 4,
    "visitante_mid": 4,
    "visitante_att": 2,
    "diff_def": 0,
    "diff_mid": -1,
    "diff_att": 1,
}

response = requests.post(f"{BASE}/predict", json=features, timeout=10)
assert response.status_code == 200, (response.status_code, response.text)
answer = response.json()
texts = {0: "Vitória do Mandante", 1: "Empate", 2: "Vitória do Visitante"}
assert answer["prediction_numeric"] in texts, answer
assert answer["prediction_text"] == texts[answer["prediction_numeric"]], answer
probabilities = answer["probabilities"]
assert abs(probabilities["home"] + probabilities["draw"] + probabilities["away"] - 1) < 1e-9
print("ok", answer["prediction_text"], response.headers["x-model-version"])
