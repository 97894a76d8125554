"""The demo content: themes, departments, storytellers and stories in Dutch and English."""

THEMES = [
    ("diabetes", "Diabetes", "Diabetes"),
    ("dementia", "Dementie", "Dementia"),
    ("maternity", "Geboortezorg", "Maternity"),
    ("rehabilitation", "Revalidatie", "Rehabilitation"),
    ("mental-health", "GGZ", "Mental health"),
    ("palliative-care", "Palliatieve zorg", "Palliative care"),
]

DEPARTMENTS = [
    ("Interne geneeskunde", "Utrecht"),
    ("Geriatrie", "Amersfoort"),
    ("Verloskunde", "Utrecht"),
    ("Revalidatiecentrum", "Zeist"),
]

PEOPLE = [
    {"full_name": "Anna de Vries", "first_name": "Anna", "pseudonym": "Anouk"},
    {"full_name": "Henk Jansen", "first_name": "Henk", "pseudonym": "Hans"},
    {"full_name": "Fatima El Amrani", "first_name": "Fatima", "pseudonym": "Fleur"},
    {"full_name": "Pieter Bakker", "first_name": "Pieter", "pseudonym": "Peter"},
]

# Each story exists in Dutch and English; patient stories name their storyteller by index in PEOPLE.
STORIES = [
    {
        "kind": "patient",
        "person": 0,
        "naming": "first_name",
        "themes": ["diabetes"],
        "department": 0,
        "days_ago": 3,
        "color": ((24, 110, 140), (180, 220, 230)),
        "nl": {
            "slug": "leven-met-diabetes",
            "title": "Leven met diabetes: ik heb mijn ritme terug",
            "summary": "Na de diagnose voelde alles onzeker. Met de diabetesverpleegkundige vond Anna stap voor stap haar ritme terug.",
            "paragraphs": [
                "Toen ik hoorde dat ik diabetes type 1 had, dacht ik dat mijn leven voorbij was. Ik was 34 en sportte elke week.",
                "Samen met de diabetesverpleegkundige leerde ik wat mijn lichaam nodig heeft. Niet alles tegelijk, maar elke week een stap.",
            ],
            "quote": "Ze vroegen niet alleen naar mijn waarden, maar ook naar hoe het écht met me ging.",
            "callout": (
                "Meer weten?",
                "Op de poli Interne geneeskunde kunt u terecht met al uw vragen over diabetes.",
            ),
        },
        "en": {
            "slug": "living-with-diabetes",
            "title": "Living with diabetes: I found my rhythm again",
            "summary": "After the diagnosis everything felt uncertain. With the diabetes nurse, Anna found her rhythm again, step by step.",
            "paragraphs": [
                "When I heard I had type 1 diabetes, I thought my life was over. I was 34 and did sports every week.",
                "Together with the diabetes nurse I learned what my body needs. Not everything at once, but one step every week.",
            ],
            "quote": "They did not only ask about my numbers, but about how I was really doing.",
            "callout": (
                "Want to know more?",
                "The internal medicine clinic answers all your questions about diabetes.",
            ),
        },
    },
    {
        "kind": "patient",
        "person": 1,
        "naming": "pseudonym",
        "themes": ["dementia"],
        "department": 1,
        "days_ago": 10,
        "color": ((90, 60, 120), (220, 200, 235)),
        "nl": {
            "slug": "samen-zorgen-bij-dementie",
            "title": "Samen zorgen voor mijn vader met dementie",
            "summary": "Een zoon vertelt hoe het team van de geriatrie hem en zijn vader hielp om thuis te blijven wonen.",
            "paragraphs": [
                "Mijn vader vergat eerst kleine dingen: zijn sleutels, een afspraak. Later herkende hij de straat niet meer.",
                "De casemanager dementie kwam bij ons thuis. Ze keek naar wat wél kon, en dat gaf ons rust.",
            ],
            "quote": "We kregen niet alleen zorg, we kregen ook weer een beetje vertrouwen.",
            "callout": ("Mantelzorg", "Zorgt u voor iemand met dementie? Vraag naar onze mantelzorgondersteuning."),
        },
        "en": {
            "slug": "caring-together-with-dementia",
            "title": "Caring together for my father with dementia",
            "summary": "A son tells how the geriatrics team helped him and his father so his father could keep living at home.",
            "paragraphs": [
                "At first my father forgot small things: his keys, an appointment. Later he no longer recognised the street.",
                "The dementia case manager visited us at home. She looked at what was still possible, and that gave us peace.",
            ],
            "quote": "We did not only receive care, we also got back a little trust.",
            "callout": ("Carers", "Do you care for someone with dementia? Ask about our support for carers."),
        },
    },
    {
        "kind": "patient",
        "person": 2,
        "naming": "anonymous",
        "themes": ["maternity"],
        "department": 2,
        "days_ago": 17,
        "color": ((190, 90, 60), (250, 220, 200)),
        "nl": {
            "slug": "een-onverwachte-bevalling",
            "title": "Een onverwachte bevalling, en een team dat bleef",
            "summary": "Onze dochter kwam zes weken te vroeg. Een moeder vertelt over de nachten op de afdeling neonatologie.",
            "paragraphs": [
                "Het ging allemaal heel snel. Binnen een uur lag ik op de verloskamer, en daarna lag onze dochter in een couveuse.",
                "De verpleegkundigen legden alles uit, ook midden in de nacht. Ik mocht zoveel mogelijk zelf voor haar zorgen.",
            ],
            "quote": "Ik voelde me geen bezoeker, maar haar moeder.",
            "callout": ("Zwanger?", "Kijk bij geboortezorg voor informatie over de bevalling en de kraamtijd."),
        },
        "en": {
            "slug": "an-unexpected-birth",
            "title": "An unexpected birth, and a team that stayed",
            "summary": "Our daughter arrived six weeks early. A mother tells about the nights on the neonatal ward.",
            "paragraphs": [
                "It all happened very fast. Within an hour I was in the delivery room, and then our daughter was in an incubator.",
                "The nurses explained everything, even in the middle of the night. I could care for her myself as much as possible.",
            ],
            "quote": "I did not feel like a visitor, but like her mother.",
            "callout": ("Expecting?", "See maternity care for information about giving birth and the weeks after."),
        },
    },
    {
        "kind": "patient",
        "person": 3,
        "naming": "full_name",
        "themes": ["rehabilitation"],
        "department": 3,
        "days_ago": 24,
        "color": ((40, 120, 70), (200, 235, 210)),
        "nl": {
            "slug": "weer-leren-lopen",
            "title": "Weer leren lopen na mijn beroerte",
            "summary": "Na een beroerte kon Pieter zijn rechterbeen niet meer gebruiken. Twaalf weken revalidatie later liep hij zelf naar buiten.",
            "paragraphs": [
                "De eerste dagen kon ik niet eens rechtop zitten. Mijn fysiotherapeut zei: we beginnen bij wat je vandaag kunt.",
                "Elke dag oefende ik, met vallen en opstaan. Mijn kleinzoon hield bij hoeveel stappen ik zette.",
            ],
            "quote": "De dag dat ik zelf de deur uit liep, was de mooiste dag van dat jaar.",
            "callout": (
                "Revalidatie",
                "Het revalidatiecentrum helpt u na een ziekte of ongeval weer zo zelfstandig mogelijk te worden.",
            ),
        },
        "en": {
            "slug": "learning-to-walk-again",
            "title": "Learning to walk again after my stroke",
            "summary": "After a stroke Pieter could no longer use his right leg. Twelve weeks of rehabilitation later he walked outside by himself.",
            "paragraphs": [
                "The first days I could not even sit up. My physiotherapist said: we start with what you can do today.",
                "I practised every day, falling and getting up again. My grandson kept count of my steps.",
            ],
            "quote": "The day I walked out of the door myself was the best day of that year.",
            "callout": (
                "Rehabilitation",
                "The rehabilitation centre helps you become as independent as possible after an illness or accident.",
            ),
        },
    },
    {
        "kind": "organisation",
        "org_kind": "innovation",
        "themes": ["mental-health"],
        "department": None,
        "days_ago": 1,
        "color": ((30, 80, 130), (190, 210, 240)),
        "nl": {
            "slug": "ehealth-in-de-ggz",
            "title": "Online hulp naast de gesprekken in de GGZ",
            "summary": "Cliënten van de GGZ kunnen nu tussen de gesprekken door oefenen met een beveiligde online module.",
            "paragraphs": [
                "Veel cliënten vroegen om iets om thuis mee verder te kunnen. Samen met hen ontwikkelden we een online module.",
                "De module werkt zonder trackers en de gegevens blijven bij ons in Nederland.",
            ],
            "quote": "Het voelt alsof mijn behandelaar een beetje met me mee naar huis gaat.",
            "callout": ("Privacy", "Uw gegevens in de module worden alleen gebruikt voor uw behandeling."),
        },
        "en": {
            "slug": "ehealth-in-mental-health-care",
            "title": "Online help alongside the sessions in mental health care",
            "summary": "Mental health clients can now practise between sessions with a secure online module.",
            "paragraphs": [
                "Many clients asked for something to continue with at home. Together with them we developed an online module.",
                "The module uses no trackers and the data stays with us in the Netherlands.",
            ],
            "quote": "It feels as if my therapist comes home with me a little.",
            "callout": ("Privacy", "Your data in the module is used only for your treatment."),
        },
    },
    {
        "kind": "organisation",
        "org_kind": "behind_the_scenes",
        "themes": ["palliative-care"],
        "department": 1,
        "days_ago": 6,
        "color": ((120, 90, 40), (240, 225, 190)),
        "nl": {
            "slug": "een-nacht-in-het-hospice",
            "title": "Een nacht met de verpleegkundigen van het hospice",
            "summary": "Achter de schermen bij het palliatief team: wat doen zij als de rest van het gebouw slaapt?",
            "paragraphs": [
                "Om elf uur begint de nachtdienst. Er is tijd voor een kop thee met een familielid dat niet kan slapen.",
                "Palliatieve zorg is meer dan medicatie. Het is aandacht, stilte, en soms een grap op het juiste moment.",
            ],
            "quote": "Wij kunnen het leven niet langer maken, wel lichter.",
            "callout": ("Vrijwilliger worden?", "Het hospice zoekt vrijwilligers voor de avond en de nacht."),
        },
        "en": {
            "slug": "a-night-in-the-hospice",
            "title": "A night with the hospice nurses",
            "summary": "Behind the scenes with the palliative team: what do they do while the rest of the building sleeps?",
            "paragraphs": [
                "The night shift starts at eleven. There is time for a cup of tea with a relative who cannot sleep.",
                "Palliative care is more than medication. It is attention, silence, and sometimes a joke at the right moment.",
            ],
            "quote": "We cannot make life longer, but we can make it lighter.",
            "callout": ("Become a volunteer?", "The hospice is looking for volunteers for evenings and nights."),
        },
    },
    {
        "kind": "organisation",
        "org_kind": "news",
        "themes": ["diabetes", "rehabilitation"],
        "department": 0,
        "days_ago": 12,
        "color": ((20, 100, 100), (190, 235, 230)),
        "nl": {
            "slug": "nieuwe-leefstijlpoli",
            "title": "Nieuwe leefstijlpoli opent de deuren",
            "summary": "Patiënten met diabetes of na een revalidatietraject krijgen op de leefstijlpoli begeleiding bij bewegen en voeding.",
            "paragraphs": [
                "Op de leefstijlpoli werken diëtisten, fysiotherapeuten en verpleegkundigen samen in één spreekuur.",
                "U kunt terecht met een verwijzing van uw huisarts of specialist.",
            ],
            "quote": "Gezond leven begint met een plan dat bij u past.",
            "callout": ("Aanmelden", "Vraag uw huisarts of specialist om een verwijzing naar de leefstijlpoli."),
        },
        "en": {
            "slug": "new-lifestyle-clinic",
            "title": "New lifestyle clinic opens its doors",
            "summary": "Patients with diabetes or after rehabilitation get guidance on exercise and food at the lifestyle clinic.",
            "paragraphs": [
                "At the lifestyle clinic dietitians, physiotherapists and nurses work together in one consultation.",
                "You can come with a referral from your GP or specialist.",
            ],
            "quote": "Healthy living starts with a plan that suits you.",
            "callout": ("Sign up", "Ask your GP or specialist for a referral to the lifestyle clinic."),
        },
    },
    {
        "kind": "organisation",
        "org_kind": "vacancy",
        "themes": ["maternity"],
        "department": 2,
        "days_ago": 20,
        "color": ((150, 50, 90), (240, 205, 220)),
        "nl": {
            "slug": "vacature-verpleegkundige-verloskunde",
            "title": "Vacature: verpleegkundige verloskunde",
            "summary": "Wil jij aanstaande ouders begeleiden op een van de mooiste momenten van hun leven? Kom ons team versterken.",
            "paragraphs": [
                "Ons team van verloskundigen en verpleegkundigen zoekt een collega voor 24 tot 32 uur per week.",
                "Je krijgt ruimte om je te ontwikkelen, met scholing in neonatale zorg.",
            ],
            "quote": "Geen dag is hetzelfde, en dat maakt het werk zo mooi.",
            "callout": ("Solliciteren", "Stuur je motivatie naar de afdeling HR; we reageren binnen twee weken."),
        },
        "en": {
            "slug": "vacancy-maternity-nurse",
            "title": "Vacancy: maternity nurse",
            "summary": "Would you like to support parents-to-be at one of the best moments of their lives? Join our team.",
            "paragraphs": [
                "Our team of midwives and nurses is looking for a colleague for 24 to 32 hours a week.",
                "You get room to develop, with training in neonatal care.",
            ],
            "quote": "No day is the same, and that is what makes the work so good.",
            "callout": ("Apply", "Send your motivation to HR; we answer within two weeks."),
        },
    },
]
