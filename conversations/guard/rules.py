"""The guard's rules: Dutch and English patterns that find what a message is about, and say why.

Three kinds, all matched on the normal form of ``guard.text`` (lower case, no accents):

- crisis patterns (suicidal thoughts, also indirect ones: "iedereen is beter af zonder mij",
  "I don't see the point any more"; self-harm; overdoses; an emergency now; violence). They aim at
  recall: any one of them flags a crisis, whatever the model says, because a missed crisis costs
  more than a crisis lead reading a message too many;
- lexicons of health words (medication, symptoms, treatments, conditions, pregnancy), of people
  (the writer, a relative) and of complaint wording, combined into rules such as "a question with
  a medication word" or "a relative near an admission word". Their hits are features of the model
  and the reasons of its labels;
- the reason of every rule, in words (``guard.reasons``).

The lists are written from how people write to a care organisation; they are not tuned on the
data set's test split.
"""

import re
from dataclasses import dataclass

from . import reasons as R


def _words(*items):
    """A regex alternative of words or phrases.

    ``*`` at the end of one allows any ending; at the start, any beginning, for the heads of Dutch
    compounds ("*kanker" finds "borstkanker", "darmkanker").
    """
    parts = []
    for item in items:
        for word in item.split("|"):
            word = word.strip()
            if not word:
                continue
            start = r"\w*" if word.startswith("*") else ""
            ending = r"\w*" if word.endswith("*") else ""
            parts.append(start + re.escape(word.strip("*")).replace(r"\ ", r"\s+") + ending)
    return r"\b(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")\b"


MEDICATION = _words(
    "medication*|medicine|medicines|meds|pill|pills|tablet|tablets|dose|doses|dosage|ibuprofen|paracetamol|aspirin",
    "antibiotic|antibiotics|antidepressant*|ssri|sertraline|melatonin|metformin|insulin|statin|statins",
    "blood thinner*|bloodthinner*|inhaler|prednisone|morphine|oxycodone|vaccine|vaccination|flu jab|flu shot",
    "side effect*|prescription|painkiller*|sleeping pill*",
    "medicijn*|medicatie|pil|pillen|tabletten|dosis|dosering|antibiotica|antidepressiva|bloedverdunner*",
    "insuline|metformine|statines|melatonine|prednison|morfine|vaccin|vaccinatie|griepprik|bijwerking*",
    "kuur|zetpil*|slaappil*|hooikoortspil*|pijnstiller*|rs-vaccinatie",
)
SYMPTOM = _words(
    "pain|painful|hurt|hurts|hurting|ache|aches|headache*|migraine|fever|temperature|rash|swollen|swelling",
    "lump|bleed|bleeding|dizzy|nausea|nauseous|vomit*|cough|coughing|tingle|tingling|numb|tired|fatigue",
    "breathless|short of breath|itchy|infection|infected|red and warm|feels sick|feel sick|forgetting things",
    "pijn|pijnlijk|hoofdpijn|koorts|verhoging|dik|zwelling|gezwollen|knobbel*|bloedt|bloeden|duizelig",
    "misselijk|overgeven|hoest|hoesten|tintel*|gevoelloos|moe|vermoeid|kortademig|jeuk|ontsteking|ontstoken",
    "rood en warm|benauwd|vergeet*|last van|a cold|verkouden|griep|griepje|the flu|blood pressure|bloeddruk",
    "spots|plekjes|slaapt|sleeps",
)
PROCEDURE = _words(
    "surgery|operation|operated|procedure|scan|mri|ct scan|x-ray|biopsy|chemo|chemotherapy|radiotherapy",
    "dialysis|transplant|replacement|stitches|cast|c-section|caesarean|colonoscopy|endoscopy|anaesthesia",
    "anesthesia|physio|physiotherapy|treatment|treated|admitted|discharged|icu|intensive care|nicu",
    "the er|your er|a&e|emergency room|recovery|recovering|rehab|pacemaker|stent|infusion|blood test*",
    "bloodwork|tonsils out|hip done|new hip|new knee|second dose",
    "*operatie|geopereerd|ingreep|biopt|chemokuur|bestraling|dialyse|transplantatie|nieuwe heup|nieuwe knie",
    "hechting*|gips|keizersnede|darmonderzoek|coloscopie|narcose|verdoving|fysio|fysiotherapie|behandeling",
    "behandeld|behandelen|opgenomen|opname|ontslagen|ic|nicu|seh|spoedeisende hulp|eerste hulp|herstel",
    "herstellen|hersteltijd|revalidatie|crisisteam|crisis team|psychiatrist|psychiater|psychiatric ward",
    "gedotterd|infuus|bloedonderzoek|nuchter blijven|amandelen eruit|tweede kuur",
)
CONDITION = _words(
    "diabetes|diabetic|cancer|tumour|tumor|leukaemia|leukemia|lymphoma|ms|multiple sclerosis|parkinson*",
    "alzheimer*|dementia|stroke|heart attack|heart failure|heart defect|epilepsy|epileptic|seizure*",
    "psychosis|psychotic|schizophrenia|bipolar|depression|depressed|anxiety|panic attack*|ptsd|burnout",
    "eating disorder|anorexia|bulimia|autism|autistic|adhd|asthma|copd|long covid|arthritis|gout|fracture",
    "broken wrist|broken hip|broken arm|broken leg|concussion|addiction|sober|hiv|kidney failure|miscarriage",
    "thrombosis|clot|pneumonia|chickenpox|sprain|stage 3|stage 4|cancer free|his fall|her fall|the voices",
    "suikerziekte|*kanker|*kankers|*tumor|*infarct|*ontsteking|*stoornis|*ziekte|*fractuur|leukemie|lymfoom|dementie|beroerte|herseninfarct|hartinfarct|hartfalen",
    "hartafwijking|epilepsie|epileptische|psychose|psychotisch|schizofrenie|bipolair|depressie|depressief",
    "angststoornis|paniekaanval*|ptss|burn-out|eetstoornis|autisme|astma|reuma|artrose|jicht|breuk",
    "gebroken pols|gebroken heup|gebroken arm|gebroken been|hersenschudding|verslaving|verslaafd|nuchter",
    "kankervrij|eetstoornis*|verslavings*|psychiatri*|zijn val|haar val|de stemmen",
    "nierfalen|miskraam|trombose|longontsteking|waterpokken|verstuiking|stadium 3|stadium 4|ferritine",
)
PREGNANCY = _words(
    "pregnant|pregnancy|gave birth|was born|born here|born at|expecting|contractions|breastfeeding|c-section",
    "ween|weeks pregnant|midwife|midwives|miscarriage|lost a baby",
    "zwanger|zwangerschap|bevallen|bevalling|geboren|verwachten|weeen|borstvoeding|keizersnede|verloskundige*",
    "miskraam|kindje verloren",
)
RESULTS = _words("results|result|scan results|uitslag|uitslagen")
SEEK_CARE = _words(
    "should i come|should we come|do i need to come|come in|come to the er|go to the er|wait for the gp",
    "come back|moet ik langskomen|moeten we naar|moet ik naar|moet ik bellen|moet ze terugkomen|hoe snel kan ik",
    "how fast can i get seen|when should i worry|wanneer moet ik me zorgen",
)
# A question that alludes to an event without naming it: "can my mum still come after what happened?"
AFTER_EVENT = _words(
    "after what happened|after what the doctor|after what the doctors|after last night|after yesterday",
    "after the weekend|after everything|na wat er gebeurd is|na wat er is gebeurd|na gisteravond|na gisteren",
    "na vannacht|na wat de dokter|na wat de arts|na alles wat",
)
DEATH = _words("died|passed away|lost a baby|overleden|overleed|kindje verloren")
SELF = _words("i|i'm|im|i've|ive|i'd|my|me|myself|ik|mijn|m'n|mn|mij|me|mezelf|mijzelf")
RELATIVE = _words(
    "mum|mom|mother|mother's|mum's|dad|father|father's|dad's|son|son's|daughter|husband|husband's|wife|wife's",
    "partner|brother|sister|grandma|gran|granny|grandmother|grandpa|granddad|grandfather|aunt|uncle|baby",
    "boy|girl|child|kid|toddler|girlfriend|boyfriend|friend|neighbour|neighbor|grandson|granddaughter",
    "mother-in-law|father-in-law|cousin|colleague|little brother|little sister|3 week old",
    "moeder|mama|mam|vader|papa|pap|zoon|zoontje|dochter|dochtertje|man|vrouw|broer|broertje|zus|zusje|oma",
    "opa|tante|oom|kind|kindje|peuter|vriend|vriendin|buurman|buurvrouw|buurjongen|kleinzoon|kleindochter",
    "schoonvader|schoonmoeder|nicht|nichtje|neef|collega",
)
ADMISSION = (
    _words(
        "admitted|in the icu|in icu|on the ward|on ward|on your ward|in hospital|in your hospital|in the hospital",
        "on the stroke unit|in the nicu|discharged|sent home|room",
        "opgenomen|op de ic|ligt bij jullie|ligt nu bij jullie|ligt op|lag op|op afdeling|op kamer|kamer|stroke unit",
        "naar huis|op de gang|ontslagen",
    )
    + r"|\bward \d+\b|\bafdeling \d+\b|\broom \d+\b"
)
QUESTION_START = re.compile(
    r"^(?:hi,?\s+|hello,?\s+|hoi,?\s+|hallo,?\s+|quick question:?\s+|korte vraag:?\s+)?"
    r"(?:can|could|should|is|are|do|does|did|will|would|how(?! (?:lovely|great|nice|cool|sweet|amazing|cute))|"
    r"what(?! a\b| an\b)|when|why|which|may|am|has|have|mag|kan|kun|kunt|moet|moeten|zijn|"
    r"hoe(?! (?:leuk|mooi|fijn|gaaf|knap|lief))|wat(?! een\b)|wanneer|waarom|welke|heeft|werkt|weet|denkt|zou)\b"
)


def is_question(normalized):
    return "?" in normalized or bool(QUESTION_START.match(normalized))


@dataclass(frozen=True)
class Hit:
    label: str
    rule: str
    reason: object  # a lazy translation
    decides: bool  # True: the label is given whatever the model says


# Crisis: (rule name, reason, alternatives). Any hit flags a crisis.
_CRISIS = [
    (
        "suicide",
        R.CRISIS_SUICIDE,
        (
            r"\bsuicid(?:e|al|aal|ale)?\b(?!\s*(?:prevent|awareness|week))",
            r"\bzelfmoord(?!preventie)\w*",
            r"\bkill (?:my|him|her|them)sel(?:f|ves)\b",
            r"\bend(?:ing)? (?:it|it all|my life|things)\b",
            r"\btake my (?:own )?life\b",
            r"\b(?:want|wants|wanted|wanna) to die\b",
            r"\bwanna die\b",
            r"\bdood wil\b",
            r"\been? eind(?:e)? aan (?:te )?(?:maken|mijn leven)\b",
            r"\beind(?:e)? aan mijn leven\b",
            r"\ber een eind(?:e)? aan\b",
            r"\bniet meer (?:willen )?leven\b",
            r"\buit het leven\b",
        ),
    ),
    (
        "hopeless",
        R.CRISIS_HOPELESS,
        (
            r"\b(?:don'?t|dont|dnt|do not|can'?t|cannot) see the point\b",
            r"\bno point (?:in )?(?:living|going on|anymore|any more)\b",
            r"\bwhat'?s the point\b",
            r"\bbetter off without me\b",
            r"\bbetter off (?:dead|with another)\b",
            r"\b(?:not|never) (?:to )?wake up\b",
            r"\b(?:don'?t|dont|do not) want to (?:be here|live|exist)\b",
            r"\btired of (?:living|life|being alive)\b",
            r"\bcan'?t (?:do|go on with|take) (?:this|it) any ?more\b",
            r"\b(?:nobody|no one|noone) would (?:miss|notice|care)\b",
            r"\b(?:disappear|vanish)\w* (?:for good|forever|and never)\b",
            r"\bpain to stop (?:forever|for good)\b",
            r"\bno (?:reason|way) (?:to keep going|out)\b",
            r"\bburden (?:to|on) (?:everyone|everybody|you|them|my family)\b",
            r"\bdo something stupid\b",
            r"\b(?:i'?m|im) done\W+(?:with )?everything\b",
            r"\bdone with everything\b",
            r"\bdriving into a (?:tree|wall|truck)\b",
            r"\bi'?m done\b(?=.*\b(?:sorry|trek|everything|alles)\b)",
            r"\bbe?t+er off without me\b",
            r"\bbeter af (?:zijn )?(?:zonder (?:mij|me)|met een andere)\b",
            r"\bzie (?:het nut|de zin) (?:er )?niet meer\b",
            r"\bnut er niet meer\b",
            r"\bbeter af zonder (?:mij|me)\b",
            r"\bbeter af (?:met een andere|dood)\b",
            r"\bwil er niet meer zijn\b",
            r"\bniet meer wakker\b",
            r"\bnooit meer wakker\b",
            r"\b(?:ik )?hoef niet meer\b",
            r"\bhoeft (?:voor mij )?(?:allemaal )?niet meer\b",
            r"\bleven (?:zo )?moe\b",
            r"\bkan het niet meer\b",
            r"\btrek (?:dit|het) (?:echt )?niet meer\b",
            r"\bgeen (?:uitweg|reden meer om door te gaan|zin meer)\b",
            r"\bheeft (?:voor mij )?geen zin meer\b",
            r"\blast voor iedereen\b",
            r"\b(?:voorgoed|voor altijd) (?:weg|verdwijnen)\b",
            r"\bmaar (?:gewoon )?weg\b",
            r"\bpijn voor altijd stopt\b",
            r"\biets doms\b",
            r"\bklaar mee\W+met alles\b",
            r"\btegen een boom\b",
            r"\bniemand zou (?:me|mij|het) (?:missen|merken)\b",
            r"\bniet meer (?:wakker )?worden\b",
        ),
    ),
    (
        "self_harm",
        R.CRISIS_SELF_HARM,
        (
            r"\b(?:hurt|hurting|harm|harming|cut|cutting) myself\b",
            r"\bself[- ]?harm\w*\b",
            r"\bcutting again\b",
            r"\bscared of what i'?ll do\b",
            r"\bmezelf (?:iets |wat )?(?:aan ?doen|pijn (?:te )?doen|aandoe)\b",
            r"\bmezelf (?:iets|wat) (?:moet )?aan(?:te)?doen\b",
            r"\b(?:mezelf|mijzelf) \w+ aandoe\b",
            r"\baan het snijden\b",
            r"\bmezelf (?:te )?snijden\b",
            r"\bwat ik mezelf aandoe\b",
            r"\bweer aan het snijden\b",
            r"\b(?:jump|jumping|springen)\b(?=.*\b(?:bridge|brug|roof|dak)\b)",
            r"\b(?:bridge|brug)\b(?=.*\b(?:jump\w*|springen)\b)",
            r"\bthinking about jumping\b",
            r"\bom te springen\b",
        ),
    ),
    (
        "farewell",
        R.CRISIS_FAREWELL,
        (
            r"\bgoodbye (?:letters?|notes?|everyone|all)\b",
            r"\bmy last (?:post|message)\b",
            r"\bthis is my last\b",
            r"\bafscheidsbrie\w*",
            r"\bmijn laatste bericht\b",
            r"\bdit is mijn laatste\b",
            r"\bdag allemaal\b(?=.*\bbedank|dank)",
            r"\bthank you\b.*\bfor trying\b",
            r"\bvoor het proberen\b",
        ),
    ),
    (
        "overdose",
        R.CRISIS_OVERDOSE,
        (
            r"\boverdos\w*",
            r"\btook all (?:my|the) pills\b",
            r"\balle pillen\b",
            r"\b(?:saving|hoarding|saving up|stockpiling) (?:up )?(?:my )?(?:sleeping )?pills\b",
            r"\bpillen (?:aan het )?sparen\b",
            r"\bslaappillen aan het sparen\b",
            r"\bswallowed\b.*\b(?:bleach|poison|pills)\b",
            r"\b(?:chloor|bleekmiddel|gif) (?:gedronken|ingeslikt)\b",
            r"\bvergiftig\w*",
        ),
    ),
    (
        "emergency",
        R.CRISIS_EMERGENCY,
        (
            r"\bcollapsed\b",
            r"\bunconscious\b",
            r"\bnot breathing\b",
            r"\bisn'?t breathing\b",
            r"\bcan'?t breathe\b",
            r"\bcannot breathe\b",
            r"\bchest pain\b",
            r"\bpain in (?:my|his|her) chest\b",
            r"\bpain in my chest\b",
            r"\bgoing blue\b",
            r"\bturning blue\b",
            r"\bhaving a seizure\b",
            r"\bbleeding (?:heavily|a lot|badly)\b",
            r"\bin elkaar gezakt\b",
            r"\bbuiten bewustzijn\b",
            r"\bbewusteloos\b",
            r"\bademt niet\b",
            r"\bkrijgt geen lucht\b",
            r"\bgeen lucht\b",
            r"\bpijn op de borst\b",
            r"\bpijn in (?:mijn|zijn|haar) borst\b",
            r"\bwordt blauw\b",
            r"\bloopt blauw aan\b",
            r"\bepileptische aanval\b",
            r"\bheeft een aanval\b",
            r"\bbloedt (?:heel )?erg\b",
        ),
    ),
    (
        "violence",
        R.CRISIS_VIOLENCE,
        (
            r"\bknife\b",
            r"\bgun\b",
            r"\bshoot (?:up|at)\b",
            r"\bshoot\w* up\b",
            r"\bbomb\b",
            r"\b(?:hit|hitting|beat|beating|beats) (?:me|his wife|her|my)\b",
            r"\bthreaten\w* to (?:hurt|kill)\b",
            r"\bkill me\b",
            r"\bnot safe at home\b",
            r"\bsmashing things\b",
            r"\bburn (?:this place|it|the place) down\b",
            r"\bmake (?:that|the|this) \w+ pay\b",
            r"\bkill (?:you|him|her|them)\b",
            r"\b(?:vrouw|man|vriendin|vriend|kinderen|kind|moeder|vader)\b.{0,10}\bslaat\b",
            r"\bmes\b",
            r"\bpistool\b",
            r"\bschieten\b",
            r"\bbom\b",
            r"\bslaat (?:zijn|mijn|haar|me|mij)\b",
            r"\bgeslagen\b",
            r"\bmishandel\w*",
            r"\bdreig\w*\b.*\b(?:aan te doen|vermoorden|pijn)\b",
            r"\bvermoord(?:t|en)?\b",
            r"\bthuis niet veilig\b",
            r"\bslaat (?:nu )?alles kapot\b",
            r"\bin de fik\b",
            r"\bgaat boeten\b",
            r"\bboeten voor\b",
        ),
    ),
    (
        "third_party",
        R.CRISIS_THIRD_PARTY,
        (
            r"\b(?:he|she|they) (?:wants?|said|says) (?:to )?(?:kill|end|die)\b",
            r"\bwants to kill (?:herself|himself)\b",
            r"\btalking about (?:suicide|killing|dying|wanting to die)\b",
            r"\bheeft het over zelfmoord\b",
        ),
    ),
]
_CRISIS = [(name, reason, re.compile("|".join(alternatives))) for name, reason, alternatives in _CRISIS]

_NEGATED_CRISIS = re.compile(r"\b(?:suicide|zelfmoord|suicide)\s*(?:prevention|preventie)\b|\bsuicidepreventie\b")

# Complaints: (rule name, reason, alternatives, decides).
_COMPLAINT = [
    (
        "waiting",
        R.COMPLAINS_WAITING,
        (
            r"\b(?:waited|waiting|wait|waitng)\b.{0,40}\b(?:\d+|two|three|four|five|six|hours?|hrs|minutes|min|weeks?|months?|days?|forever|ages)\b",
            r"\bwaiting list\b",
            r"\bwaiting times?\b",
            r"\bdelay\b",
            r"\bon hold\b",
            r"\btaking forever\b",
            r"\bwachtlijst\w*",
            r"\bwachttijd\w*",
            r"\bgewacht\b",
            r"\b(?:wachten|wachtn|wacht)\b.{0,30}\b(?:\d+|uur|minuten|weken|maanden|dagen|eeuwen)\b",
            r"\buitloop\b",
            r"\bin de wacht\b",
            r"\bduurt eeuwen\b",
            r"\bdrie maanden wachten\b",
            r"\b(?:late|te laat)\b",
            r"\bpas in (?:april|mei|juni|januari|februari|maart)\b",
            r"\bnow in april\b",
        ),
        False,
    ),
    (
        "unreachable",
        R.COMPLAINS_UNREACHABLE,
        (
            r"\b(?:nobody|no one|noone)\b.{0,12}\b(?:answers|picks up|calls back|call back|responds)\b",
            r"\b(?:hasn'?t|has not|haven'?t) been answered\b",
            r"\bno answer\b",
            r"\banswer my (?:emails|mails|messages)\b",
            r"\bniemand\b.{0,12}\b(?:neemt|belt|reageert)\b",
            r"\bniet beantwoord\b",
            r"\bbeantwoord\b.{0,20}\bmails\b",
            r"\bgeen reactie\b",
            r"\bdrie (?:mails|keer gebeld)\b",
            r"\bthree (?:emails|times)\b",
            r"\bmy complaint\b",
            r"\bmijn klacht\b",
        ),
        False,
    ),
    (
        "cancelled",
        R.COMPLAINS_CANCELLED,
        (
            r"\bcancel(?:l)?ed\b",
            r"\bcancelling\b",
            r"\bpostponed\b",
            r"\brescheduled\b",
            r"\bafgezegd\b",
            r"\bafzeggen\b",
            r"\buitgesteld\b",
        ),
        False,
    ),
    (
        "staff",
        R.COMPLAINS_STAFF,
        (
            r"\brude\b",
            r"\bunfriendly\b",
            r"\bignored\b",
            r"\bdidn'?t even\b",
            r"\bnot even\b",
            r"\bnever this friendly\b",
            r"\bonbeschoft\b",
            r"\bonvriendelijk\w*",
            r"\bniet eens\b",
            r"\bkeek me niet\b",
            r"\bnooit zo vriendelijk\b",
            r"\bochtendhumeur\b",
        ),
        False,
    ),
    (
        "costs",
        R.COMPLAINS_COSTS,
        (
            r"\b(?:parking|car park|parkeren|parkeergarage|parkeertarie\w*)\b.{0,40}"
            r"(?:cost|kost|€|euro|expensive|duur|schandalig|outrageous|disgrace|pay|betaal|broken|kapot|belachelijk)",
            r"\b(?:bill|bills|factuur|rekeningen?)\b",
            r"\bpay for (?:the )?wifi\b",
            r"\bbetalen voor wifi\b",
            r"\bblauw betaal\b",
        ),
        False,
    ),
    (
        "facilities",
        R.COMPLAINS_FACILITIES,
        (
            r"\b(?:filthy|dirty|smerig|vies|vieze)\b",
            r"\b(?:is|are|was) cold\b",
            r"\bis elke dag koud\b",
            r"\bkoud\b.{0,10}\beten\b",
            r"\beten\b.{0,30}\bkoud\b",
            r"\b(?:app|website|lift|elevator|barrier|slagboom|machine|automaat)\b.{0,40}"
            r"(?:broken|stuk|kapot|down|eruit|logs me out|logt me|ate my|opgegeten)",
            r"\bligt er\b.{0,30}\buit\b",
            r"\bopgegeten\b",
            r"\bmaze\b",
            r"\bdoolhof\b",
            r"\bno wheelchairs\b",
            r"\bgeen rolstoelen\b",
            r"\blost my\b",
            r"\bkwijtraken\b",
            r"\bclosed door\b",
            r"\bdichte deur\b",
            r"\bterrible communication\b",
            r"\bslechte communicatie\b",
            r"\bthree different\b",
            r"\bdrie verschillende\b",
            r"\bander antwoord\b",
            r"\bconstruction\b.*🙄",
            r"\bverbouwing\b.*🙄",
            r"\bdrama\b",
            r"\bnightmare\b",
        ),
        False,
    ),
    (
        "care",
        R.COMPLAINS_CARE,
        (
            r"\b(?:sent|stuurde) (?:\w+ )?(?:home|naar huis)\b.{0,40}(?:too early|te vroeg|turned out|bleek)",
            r"\btoo early\b",
            r"\bte vroeg naar huis\b",
            r"\bnobody (?:helped|told)\b",
            r"\bniemand (?:hielp|vertelde)\b",
            r"\bunderstaffed\b",
            r"\bonderbezet\b",
            r"\bin a corridor\b",
            r"\bop de gang\b",
            r"\bthis is (?:just )?dangerous\b",
            r"\bdit is (?:gewoon )?gevaarlijk\b",
            r"\breageerde\b.{0,30}\bniet\b",
            r"\bfar too loud\b",
            r"\bveel te druk\b",
            r"\bnot normal\b",
            r"\bniet normaal\b",
            r"\bis this normal\?\?",
            r"\bis dit normaal\?\?",
        ),
        False,
    ),
    (
        "angry",
        R.SOUNDS_ANGRY,
        (
            r"\bunacceptable\b",
            r"\bdisgrace\w*",
            r"\boutrageous\b",
            r"\bridiculous\b",
            r"\bshocking\b",
            r"\bterrible\b",
            r"\bfurious\b",
            r"\bthanks for nothing\b",
            r"\bthanks a lot\b",
            r"\bnot ok\b",
            r"\binsane\b",
            r"\bcheers for\b",
            r"\bsure,? \"",
            r"🙄",
            r"\bnot\.$",
            r"\bonacceptabel\b",
            r"\bschandalig\b",
            r"\bbelachelijk\b",
            r"\bbedankt voor (?:niks|niets|het kwijtraken)\b",
            r"\bwoedend\b",
            r"\bniet oke\b",
            r"\blekker dan\b",
            r"\btop hoor\b",
            r"\bja hoor\b",
            r"\bleuk hoor\b",
            r"\bnot\.?$",
            r"\bgoeie grap\b",
            r"\bgood one\b",
            r"\bbravo\b(?=.*\b(?:wait|wacht|months|maanden)\b)",
            r"\b(?:wait|wacht)\w*\b.*\bbravo\b",
            r"\b(?:love it|top hoor)\b.*🙄",
            r"\bsuper vervelend\b",
            r"\berger (?:me|mij)\b",
            r"\bik erger\b",
            r"\bergerlijk\b",
            r"\bfrustrated\b",
            r"\bwho tested\b",
            r"\bwie heeft dit getest\b",
            r"\bsome of us\b",
            r"\bsommigen van ons\b",
            r"\bfix your\b",
            r"\bregel eerst\b",
            r"\btoo bad\b",
            r"\bjammer dat\b",
            r"\bknap hoe\b",
            r"\bamazing how\b",
            r"\bnext level\b(?=.*\b(?:wacht|wait|uur|hours)\b)",
        ),
        False,
    ),
]
_COMPLAINT = [
    (name, reason, re.compile("|".join(alternatives)), decides) for name, reason, alternatives, decides in _COMPLAINT
]


def _near(normalized, first, second, window=8):
    """True when a match of ``first`` and one of ``second`` are at most ``window`` words apart."""
    first_at = [m.start() for m in re.finditer(first, normalized)]
    if not first_at:
        return False
    second_at = [m.start() for m in re.finditer(second, normalized)]
    if not second_at:
        return False
    positions = [m.start() for m in re.finditer(r"\S+", normalized)]

    def word_index(offset):
        low, high = 0, len(positions) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if positions[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low

    first_words = [word_index(offset) for offset in first_at]
    second_words = [word_index(offset) for offset in second_at]
    return any(abs(a - b) <= window for a in first_words for b in second_words)


# A health word that names a topic, not someone's condition ("dementia care", "ICU nurse").
_TOPIC = re.compile(r"\b[\w-]+[- ](?:care|nurses?|verpleegkundigen?|zorg|awareness|walk|wandeling|podcast|tour)\b")
# A relative who works or studies somewhere is not a patient there ("my sister works at your ER").
_WORKS = re.compile(
    r"(?:\b(?:my|mijn|m'n|our|onze)\s+)?"
    + RELATIVE
    + r"\s+(?:\w+\s+)?(?:works|worked|werkt|werkte|studies|studeert|graduated)\b"
)
# After a relative is named, "he", "she" and "hij", "ze" are most often that relative.
PRONOUN = _words("he|he's|his|she|she's|her|him|hij|ze|zij|zijn|haar|hem")
# The writer says they are or were a patient, without an "I" near a health word.
OWN_STAY = re.compile(
    r"\b(?:i was on|got home after|just got home|was (?:admitted|in hospital)|fellow \w+|same here|some of us are"
    r"|years? (?:sober|cancer free)|in the er with|net thuis na|heb \w+ (?:op|in) \w+ \w* ?(?:gelegen)|ook \w+ hier"
    r"|jaar (?:nuchter|kankervrij)|sommigen van ons|op de seh met|gelegen)\b"
)

_COMPILED = {}


def _has(pattern, normalized):
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re.compile(pattern)
    return compiled.search(normalized) is not None


def hits(normalized):
    """Every rule that matches the normalized text, as :class:`Hit` objects, in a fixed order."""
    found = []
    negated = _NEGATED_CRISIS.search(normalized) is not None
    for name, reason, pattern in _CRISIS:
        match = pattern.search(normalized)
        if match and not (negated and name == "suicide"):
            found.append(Hit("crisis", name, reason, True))

    question = is_question(normalized)
    normalized = _WORKS.sub("someone works", _TOPIC.sub("topic", normalized))
    has = {
        name: _has(pattern, normalized)
        for name, pattern in (
            ("medication", MEDICATION),
            ("symptom", SYMPTOM),
            ("procedure", PROCEDURE),
            ("condition", CONDITION),
            ("pregnancy", PREGNANCY),
            ("results", RESULTS),
            ("seek_care", SEEK_CARE),
            ("self", SELF),
            ("relative", RELATIVE),
            ("admission", ADMISSION),
            ("death", DEATH),
        )
    }
    if question:
        for name, reason in (
            ("medication", R.ASKS_MEDICATION),
            ("symptom", R.ASKS_SYMPTOMS),
            ("procedure", R.ASKS_TREATMENT),
            ("condition", R.ASKS_CONDITION),
            ("results", R.ASKS_RESULTS),
            ("pregnancy", R.ASKS_PREGNANCY),
            ("seek_care", R.ASKS_SEEK_CARE),
        ):
            if has[name]:
                found.append(Hit("medical_question", "asks_" + name, reason, False))
        if has["relative"] and has["admission"]:
            found.append(Hit("medical_question", "asks_patient", R.ASKS_PATIENT, False))
        elif _has(AFTER_EVENT, normalized):
            found.append(Hit("medical_question", "asks_after_event", R.ASKS_PATIENT, False))

    has["relative"] = _has(RELATIVE, normalized)
    relative_or_pronoun = RELATIVE if not has["relative"] else f"(?:{RELATIVE}|{PRONOUN})"

    def person_near(term):
        own = has["self"] and _near(normalized, SELF, term)
        relative = has["relative"] and _near(normalized, relative_or_pronoun, term)
        return own, relative

    if OWN_STAY.search(normalized):
        found.append(Hit("health_disclosure", "own_stay", R.NAMES_OWN_TREATMENT, False))

    for term, own_reason, relative_reason, rule in (
        (CONDITION, R.NAMES_OWN_CONDITION, R.NAMES_RELATIVE_CONDITION, "condition"),
        (PROCEDURE, R.NAMES_OWN_TREATMENT, R.NAMES_RELATIVE_TREATMENT, "procedure"),
    ):
        if has[rule]:
            own, relative = person_near(term)
            if relative:
                found.append(Hit("health_disclosure", "relative_" + rule, relative_reason, False))
            elif own:
                found.append(Hit("health_disclosure", "own_" + rule, own_reason, False))
    if has["relative"] and has["admission"] and _near(normalized, relative_or_pronoun, ADMISSION):
        found.append(Hit("health_disclosure", "relative_admission", R.NAMES_RELATIVE_ADMISSION, False))
    if has["medication"] and has["self"] and _near(normalized, SELF, MEDICATION, window=4):
        found.append(Hit("health_disclosure", "own_medication", R.NAMES_OWN_MEDICATION, False))
    # "mezelf pijn doen" is self-harm (a crisis reason already), not a symptom.
    self_harm = any(hit.rule == "self_harm" for hit in found)
    if has["symptom"] and (has["self"] or has["relative"]) and not self_harm:
        own, relative = person_near(SYMPTOM)
        if own or relative:
            found.append(Hit("health_disclosure", "symptoms", R.NAMES_SYMPTOMS, False))
    if has["pregnancy"] and (has["self"] or has["relative"] or _has(r"\b(?:we|wij|we're|our|onze|ons)\b", normalized)):
        found.append(Hit("health_disclosure", "pregnancy", R.NAMES_PREGNANCY, False))
    if has["death"] and (has["self"] or has["relative"]):
        found.append(Hit("health_disclosure", "loss", R.NAMES_LOSS, False))

    for name, reason, pattern, decides in _COMPLAINT:
        if pattern.search(normalized):
            found.append(Hit("complaint", name, reason, decides))
    return found
