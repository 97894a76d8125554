def test_patient_and_org_story_render(client, make_org_story, make_patient_story):
    org = make_org_story(title="Nieuwe MRI-scanner")
    response = client.get(org.url)
    assert response.status_code == 200
    assert "Nieuwe MRI-scanner" in response.content.decode()
    patient = make_patient_story(title="Mijn verhaal")
    assert not patient.live
