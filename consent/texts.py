"""The default consent texts, created once after ``migrate`` when a language has none.

A consent officer edits them in the admin; a signed version never changes (see ConsentText).
"""

DEFAULT_TEXTS = {
    "nl": (
        "Toestemming om uw verhaal te delen",
        """Wij willen uw verhaal delen, omdat het anderen kan helpen. Dat doen we alleen met uw toestemming.

Wat u hieronder ziet, is precies hoe uw verhaal gepubliceerd wordt. U kiest zelf waar het verschijnt (onze website, onze nieuwsbrief, onze sociale media), hoe u genoemd wordt, of foto's en video van u getoond mogen worden, en tot wanneer.

Uw toestemming is vrijwillig. Weigeren of later intrekken heeft nooit invloed op uw zorg.

U kunt uw toestemming altijd intrekken, helemaal of per kanaal, via de link in de bevestiging die u per e-mail krijgt. Wij halen het verhaal dan meteen van onze website en nieuwsbriefarchief, en verwijderen de berichten op sociale media waar dat kan. E-mails die al verstuurd zijn en kopieën die anderen hebben gemaakt, kunnen wij niet terughalen.

Verandert het verhaal na uw handtekening, dan vragen wij u opnieuw om toestemming voordat de nieuwe versie verschijnt.""",
    ),
    "en": (
        "Consent to share your story",
        """We would like to share your story, because it can help others. We only do so with your consent.

What you see below is exactly how your story will be published. You choose where it appears (our website, our newsletter, our social media), how you are named, whether photos and video of you may be shown, and until when.

Your consent is voluntary. Refusing or withdrawing later never affects your care.

You can always withdraw your consent, completely or per channel, through the link in the confirmation we email you. We then take the story off our website and newsletter archive at once, and delete the social media posts where the network allows it. Emails already sent and copies others have made cannot be recalled.

If the story changes after you sign, we ask for your consent again before the new version appears.""",
    ),
}


def ensure_default_texts(**kwargs):
    from .models import ConsentText

    for language, (title, body) in DEFAULT_TEXTS.items():
        if not ConsentText.objects.filter(language=language).exists():
            text = ConsentText(language=language, version=1, title=title, body=body)
            text.sha256 = text.compute_sha256()
            text.save()
